/*
 * The json-c baseline of 'make bench': what any merge that rewrites whole
 * state files must at least do with them. Parse each file given (strict,
 * UTF-8 checked), serialize it again indented, and write the result into
 * <outdir> under the file's base name.
 *
 *   jsonc-baseline <outdir> <file>...
 *
 * The parsed trees are kept until exit and never freed, as a one-shot tool
 * would leave them: freeing a big json-c tree costs more than parsing it,
 * and the baseline should be the cheapest honest version of that work.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

/* every parsed tree, reachable until exit (see above) */
static struct json_object **roots;

/* The bytes of `path` (its length in *len), or NULL; the caller frees them. */
static char *read_file(const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0)
		goto fail;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto fail;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return buf;
fail:
	fprintf(stderr, "error: cannot read '%s': %s\n", path, strerror(errno));
	free(buf);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Write `len` bytes and a final newline to `path`; -1 (reported) on failure. */
static int write_file(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(buf, 1, len, f) != len || fputc('\n', f) == EOF) {
		fprintf(stderr, "error: cannot write '%s': %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	if (fclose(f)) {
		fprintf(stderr, "error: cannot write '%s': %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Parse `path`, keep its tree in *root, write it indented into `outdir`. */
static int baseline_one(struct json_object **root, const char *outdir, const char *path)
{
	struct json_tokener *tok = json_tokener_new();
	char *name = strdup(path), *buf = NULL, out[4096];
	enum json_tokener_error jerr;
	const char *text;
	size_t len, tlen;
	int ret = -1;

	if (!tok || !name) {
		fprintf(stderr, "error: out of memory\n");
		goto cleanup;
	}
	if (!(buf = read_file(path, &len)))
		goto cleanup;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	*root = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!*root || jerr != json_tokener_success) {
		fprintf(stderr, "error: '%s' does not parse: %s\n", path,
			jerr == json_tokener_continue ? "unexpected end of input" :
			json_tokener_error_desc(jerr));
		goto cleanup;
	}
	text = json_object_to_json_string_length(*root, JSON_C_TO_STRING_PRETTY |
						 JSON_C_TO_STRING_SPACED |
						 JSON_C_TO_STRING_NOSLASHESCAPE, &tlen);
	snprintf(out, sizeof(out), "%s/%s", outdir, basename(name));
	ret = write_file(out, text, tlen);
cleanup:
	if (ret) {
		json_object_put(*root);
		*root = NULL;
	}
	if (tok)
		json_tokener_free(tok);
	free(buf);
	free(name);
	return ret;
}

int main(int argc, char **argv)
{
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: jsonc-baseline <outdir> <file>...\n");
		return 129;
	}
	roots = calloc((size_t)argc, sizeof(*roots));
	if (!roots) {
		fprintf(stderr, "error: out of memory\n");
		return 128;
	}
	for (i = 2; i < argc; i++)
		if (baseline_one(&roots[i], argv[1], argv[i]))
			return 128;
	return 0;
}
