/*
 * Run a fuzz harness over kept inputs without libFuzzer: each argument is
 * a file or a directory of files, fed to LLVMFuzzerTestOneInput() one by
 * one. A broken property aborts, as under the fuzzer; otherwise it prints
 * how many inputs ran and exits 0 (1 if an input could not be read).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path, size_t *count)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t len = 0, alloc = 0, n;

	if (!f) {
		fprintf(stderr, "error: cannot open '%s'\n", path);
		return -1;
	}
	do {
		if (len + 65536 > alloc) {
			alloc = len + 65536;
			buf = realloc(buf, alloc);
			if (!buf)
				abort();
		}
		n = fread(buf + len, 1, 65536, f);
		len += n;
	} while (n);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	(*count)++;
	return 0;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int i, ret = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *e;

		if (stat(argv[i], &st) || !S_ISDIR(st.st_mode)) {
			ret |= run_file(argv[i], &count) ? 1 : 0;
			continue;
		}
		if (!(d = opendir(argv[i]))) {
			fprintf(stderr, "error: cannot open '%s'\n", argv[i]);
			ret = 1;
			continue;
		}
		while ((e = readdir(d))) {
			char path[4096];
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			ret |= run_file(path, &count) ? 1 : 0;
		}
		closedir(d);
	}
	printf("%zu inputs\n", count);
	return ret;
}
