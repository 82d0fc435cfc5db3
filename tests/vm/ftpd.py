#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""An FTP server for the FTP helper's test (Debian's python3-pyftpdlib).

usage: ftpd.py NAME DIR [ADDR]

Serves DIR read-only on port 21 of ADDR (default 0.0.0.0: IPv4's) to user "u", password "p",
with NAME in its banner. Active-mode
data connections leave from port 20 (the control port - 1), as vsftpd's do and as IPVS's FTP
helper expects (pyftpdlib's own choice is any port). Passive-mode data connections go to port
40000 (one port: the connections a test lists are the same every run).
"""
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import ActiveDTP, FTPHandler
from pyftpdlib.servers import FTPServer


class Port20DTP(ActiveDTP):
    def bind(self, addr):
        self.set_reuse_addr()
        super().bind((addr[0], 20))


def main():
    name, root = sys.argv[1], sys.argv[2]
    addr = sys.argv[3] if len(sys.argv) > 3 else "0.0.0.0"
    auth = DummyAuthorizer()
    auth.add_user("u", "p", root, perm="elr")
    handler = FTPHandler
    handler.authorizer = auth
    handler.banner = "ftpd %s ready" % name
    handler.active_dtp = Port20DTP
    handler.passive_ports = [40000]
    FTPServer((addr, 21), handler).serve_forever()


main()
