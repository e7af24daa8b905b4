/*
 * dc_libgit2_init(): libgit2 starts without parsing the system CA bundle
 * (git-dc/lib/repo.c). Under libgit2's mbedTLS backend, its certificate
 * loads go to git dc's definitions: a CA file that does not exist then
 * loads "successfully", where mbedTLS's own loader fails. Under another
 * backend the test says so and checks only that libgit2 starts.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <git2.h>
#include "tap.h"
#include "repo.h"

int main(void)
{
	void *mbedtls = dlsym(RTLD_DEFAULT, "mbedtls_ssl_init");
	int e;

	dc_libgit2_init();
	dc_libgit2_init();	/* once: a second call changes nothing */
	tap_ok(git_libgit2_init() == 2, "libgit2 is started once");
	git_libgit2_shutdown();

	if (!mbedtls) {
		tap_diag("libgit2 does not use mbedTLS here: nothing is interposed");
		tap_ok(1, "libgit2 starts");
		return done_testing();
	}
	e = git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, "/nonexistent/dc-ca.pem", NULL);
	tap_ok(e == 0, "libgit2's CA loads go to git dc's loaders (got %d: %s)", e,
	       e && git_error_last() ? git_error_last()->message : "no error");
	e = git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, NULL, "/nonexistent/dc-ca.d");
	tap_ok(e == 0, "directories too (got %d)", e);
	return done_testing();
}
