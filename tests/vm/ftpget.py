#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""An FTP client session for the FTP helper's test (Python's ftplib).

usage: ftpget.py HOST FILE [--hold SECONDS]

Logs in as "u"/"p", fetches FILE four times: in active mode, announced by PORT and by EPRT
(|1|, IPv4), and in passive mode after PASV and after EPSV (connecting where the answer says,
the address too: the director must have rewritten it); prints the server's banner and, per
transfer, the bytes received (passive ones: and the address the answer named); keeps the
session SECONDS more before QUIT. Over IPv6 (HOST an IPv6 address) there is no PORT nor PASV:
ftplib's active mode announces with EPRT (|2|), then EPSV.
"""
import ftplib
import socket
import sys
import time


def eprt_retr(ftp, name):
    """RETR in active mode announced by EPRT (ftplib uses EPRT only over IPv6)."""
    local = ftp.sock.getsockname()[0]
    with socket.create_server((local, 0)) as ls:
        ls.settimeout(10)
        ftp.voidcmd("EPRT |1|%s|%d|" % (local, ls.getsockname()[1]))
        ftp.putcmd("RETR " + name)
        resp = ftp.getresp()
        if not resp.startswith("1"):
            raise ftplib.error_reply(resp)
        conn, _ = ls.accept()
        with conn:
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
        ftp.voidresp()
    return data


def passive_retr(ftp, name, cmd):
    """RETR in passive mode after PASV or EPSV (ftplib's own does not trust PASV's address and
    uses EPSV only over IPv6): the data connection goes where the answer says."""
    resp = ftp.sendcmd(cmd)
    if cmd == "PASV":
        host, port = ftplib.parse227(resp)
    else:
        host, port = ftplib.parse229(resp, ftp.sock.getpeername())
    with socket.create_connection((host, port), timeout=10) as conn:
        resp = ftp.sendcmd("RETR " + name)
        if not resp.startswith("1"):
            raise ftplib.error_reply(resp)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    ftp.voidresp()
    return host, len(data)


def main():
    host, name = sys.argv[1], sys.argv[2]
    hold = float(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--hold" else 0
    ftp = ftplib.FTP(timeout=10)
    try:
        print(ftp.connect(host, 21).split("\n")[0].strip())
        ftp.login("u", "p")
        v6 = ":" in host
        ftp.set_pasv(False)
        got = []
        ftp.retrbinary("RETR " + name, got.append)
        print("EPRT" if v6 else "PORT", sum(map(len, got)))
        if not v6:
            print("EPRT", len(eprt_retr(ftp, name)))
            print("PASV", *passive_retr(ftp, name, "PASV"))
        print("EPSV", *passive_retr(ftp, name, "EPSV"))
        time.sleep(hold)
        ftp.quit()
    except (OSError, ftplib.Error) as e:
        print("failed:", e)


main()
