"""test_pop3_login_utf8.py: postern-pop3-login with a user name the
hand-off record cannot carry as text (UTF-8): USER/PASS still log in,
postern-pop3d (which then takes the checker's $USER) answers, and the
command pipelined behind PASS is served."""
import unittest

from pop3_instance import Pop3Instance

NAME = "j\u00f6rg@example.test"
PW = "s3cret-\u00e4"


class Pop3LoginUtf8(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.i = Pop3Instance(users={NAME: PW}).start()

    @classmethod
    def tearDownClass(cls):
        cls.i.stop()

    def test_utf8_login_and_pipelined_stat(self):
        r = self.i.raw()
        r.send(b"USER " + NAME.encode() + b"\r\nPASS " + PW.encode() + b"\r\nSTAT\r\n")
        self.assertTrue(r.line().startswith("+OK"))
        l = r.line()
        self.assertTrue(l.startswith("+OK"), l)
        self.assertRegex(r.line(), r"^\+OK 0 0$")
        self.assertTrue(r.cmd("QUIT").startswith("+OK"))
        r.close()


if __name__ == "__main__":
    unittest.main()
