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

int main(int argc, char **argv)
{
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: jsonc-baseline <outdir> <file>...\n");
		return 129;
	}
	roots = calloc((size_t)argc, sizeof(*roots));
	if (!roots)
		return 128;
	for (i = 2; i < argc; i++) {
		struct json_tokener *tok = json_tokener_new();
		char out[4096], *name = strdup(argv[i]);
		const char *text;
		size_t len, tlen;
		char *buf = read_file(argv[i], &len);

		if (!buf || !tok || !name)
			return 128;
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
		roots[i] = json_tokener_parse_ex(tok, buf, (int)len);
		if (!roots[i] || json_tokener_get_error(tok) != json_tokener_success) {
			fprintf(stderr, "error: '%s' does not parse: %s\n", argv[i],
				json_tokener_error_desc(json_tokener_get_error(tok)));
			return 128;
		}
		text = json_object_to_json_string_length(roots[i], JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_SPACED |
							 JSON_C_TO_STRING_NOSLASHESCAPE, &tlen);
		snprintf(out, sizeof(out), "%s/%s", argv[1], basename(name));
		if (write_file(out, text, tlen))
			return 128;
		json_tokener_free(tok);
		free(buf);
		free(name);
	}
	return 0;
}
