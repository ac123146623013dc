/* sanitize_defaults.c: linked into the programs (never the unit tests) of
 * a SANITIZE=1 build.  The daemons keep their configuration and tables
 * until they exit, and several of them clear the environment before they
 * exec the next program (so ASAN_OPTIONS from the test driver does not
 * reach them): LeakSanitizer's exit-time report would turn each such exit
 * into a failure status, and it cannot run at all under strace.  Leak
 * checking stays on in the unit tests; ASan and UBSan stay fully on. */
const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
