#!/usr/bin/env python3
"""runone.py FILE: run one integration test file with unittest and print
"RESULT N passed, M failed" (a skipped test counts as failed: in CI a
missing client is a failure, not a skip)."""
import importlib.util, os, sys, unittest

sys.dont_write_bytecode = True
path = sys.argv[1]
sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
suite = unittest.defaultTestLoader.loadTestsFromModule(mod)
res = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
bad = len(res.failures) + len(res.errors) + len(res.skipped) + len(res.unexpectedSuccesses)
print(
      "RESULT %d passed, %d failed" % (res.testsRun - len(res.failures) - len(res.errors) - len(res.skipped), bad))
sys.exit(0)
