#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Control plane, differential: a long fixed matrix of stock ipvsadm commands (services of every
# kind and scheduler, persistence, netmasks, scheduler flags, PE, OPS, real servers with every
# forwarding method and tunnel option, thresholds, edits, deletes, zeroing, timeouts, sync
# daemons, save/clear/restore and the usual mistakes) runs once on a freshly loaded C ip_vs and
# once on a freshly loaded ipvs_rs. Every command's output (stdout+stderr) and exit status must be
# the same for both. No traffic is sent, so all counters and rates are zero; every address is a
# private or documentation address that routes nowhere.
. "$(dirname "$0")/lib.sh"
out=$(mktemp -d)

# The matrix. One ipvsadm invocation per line (the arguments after "ipvsadm"; split on blanks,
# never globbed). "# text" starts a group (echoed into the output). Directives:
#   @save NAME      ipvsadm -S -n, also kept in NAME
#   @restore NAME   ipvsadm -R with NAME on stdin
#   @R TEXT         ipvsadm -R with TEXT on stdin (printf %b: "\n" separates lines)
#   @cmp A B        diff -u of two saves (must be identical)
#   @ip ARGS        ip ARGS (test set-up)
# A line starting with "!" runs on both but its output is not compared (kept in the log).
MATRIX=$(
	cat <<'EOF'
# initial state: nothing configured
-Ln
-Ln --stats --exact
-L -n --timeout
-L -n --daemon
-S -n
-Ln -c
-Z

# TCP services, one per scheduler (10.10.0.16: no -s, ipvsadm sends wlc)
-A -t 10.10.0.1:80 -s rr
-Ln
-A -t 10.10.0.2:80 -s wrr
-A -t 10.10.0.3:80 -s lc
-A -t 10.10.0.4:80 -s wlc
-A -t 10.10.0.5:80 -s sed
-A -t 10.10.0.6:80 -s nq
-A -t 10.10.0.7:80 -s lblc
-A -t 10.10.0.8:80 -s lblcr
-A -t 10.10.0.9:80 -s dh
-A -t 10.10.0.10:80 -s sh
-A -t 10.10.0.11:80 -s mh
-A -t 10.10.0.12:80 -s fo
-A -t 10.10.0.13:80 -s ovf
-A -t 10.10.0.14:80 -s twos
-A -t 10.10.0.15:80 -s none
-A -t 10.10.0.16:80
-A -t 10.10.0.17:80 -s nosuch
-A -t 10.10.0.18:80 -s abcdefghijklmnopq
-Ln
-S -n
--list --numeric --sort

# UDP, SCTP, one-packet scheduling, persistence engine
-A -u 10.10.1.1:53 -s rr
-A -u 10.10.1.2:53 -s rr -o
-A -t 10.10.1.3:80 -s rr -o
-A -u 10.10.1.4:5060 -s rr --pe sip
-A -u 10.10.1.5:5060 -s rr -p 60 --pe sip
-A -u 10.10.1.6:5060 -s rr -p 60 --pe nosuch
-A -u 10.10.1.7:5060 -s rr -p 60 --pe sip -o
-A -t 10.10.1.8:5060 -s rr -p 60 --pe sip
-A --sctp-service 10.10.2.1:9999 -s rr
-A --sctp-service 10.10.2.2:9999 -s rr -o
-Ln
-S -n

# firewall-mark services, IPv4 and IPv6
-A -f 1 -s rr
-A -f 2 -6 -s rr
-A -f 1 -6 -s rr
-A -f 3 -s rr -o
-A -f 4 -s wlc -o
-A -f 6 -6 -s sh
-A -f 4294967295 -s rr
-A -f 1 -s rr
-A -f 2 -6 -s rr
-A -f 0 -s rr
-A -f 4294967296 -s rr
-A -f 5 -6 -s rr -p 30 -M 64
-Ln
-S -n
-Ln -f 1
-Ln -f 1 -6
-Ln -f 2
-Ln -f 99

# IPv6 services
-A -t [2001:db8::1]:80 -s rr
-A -u [2001:db8::1]:53 -s rr
-A -u [2001:db8::2]:53 -s wrr
-A --sctp-service [2001:db8::1]:9999 -s rr
-A -t [2001:db8::2]:443 -s mh -b mh-fallback,mh-port
-A -t [2001:db8::1]:80 -s rr
-A -t [::]:80 -s rr
-A -t [ff02::1]:80 -s rr
-Ln
-S -n
-Ln -t [2001:db8::1]:80
-Ln -u [2001:db8::1]:53
-Ln --sctp-service [2001:db8::1]:9999

# persistence and netmasks
-A -t 10.10.3.1:80 -s rr -p
-A -t 10.10.3.2:80 -s rr -p 600
-A -t 10.10.3.3:0 -s rr -p 60
-A -t 10.10.3.4:0 -s rr
-A -t 10.10.3.5:80 -s rr -p 60 -M 255.255.255.0
-A -t 10.10.3.6:80 -s rr -M 255.255.0.0
-A -t 10.10.3.7:80 -s rr -p 2678400
-A -t 10.10.3.8:80 -s rr -p 2678401
-A -t 10.10.3.9:80 -s rr -p 0
-A -t 10.10.3.10:80 -s rr -p 1 -M 0.0.0.0
-A -t 10.10.3.11:80 -s rr -p 60 -M 255.0.255.0
-A -t [2001:db8::3]:80 -s rr -p 60 -M 64
-A -t [2001:db8::4]:80 -s rr -p 60 -M 0
-A -t [2001:db8::5]:80 -s rr -p 60 -M 129
-A -t [2001:db8::6]:80 -s rr -p 60 -M 128
-A -t [2001:db8::7]:80 -s rr -p 60 -M 1
-A -t [2001:db8::8]:80 -s rr -M 48
-Ln
-S -n
-Ln --persistent-conn

# scheduler flags
-A -t 10.10.4.1:80 -s sh -b sh-fallback
-A -t 10.10.4.2:80 -s sh -b sh-port
-A -t 10.10.4.3:80 -s sh -b sh-fallback,sh-port
-A -t 10.10.4.4:80 -s mh -b mh-fallback,mh-port
-A -t 10.10.4.5:80 -s mh -b mh-port
-A -t 10.10.4.6:80 -s rr -b flag-1,flag-2,flag-3
-A -t 10.10.4.7:80 -s rr -b flag-2
-A -t 10.10.4.8:80 -s rr -b sh-port
-A -t 10.10.4.9:80 -s sh -b mh-port
-A -t 10.10.4.10:80 -s rr -b nosuch
-Ln
-S -n

# rr services that the edit and real-server groups below work on
-A -t 10.10.5.1:80 -s rr
-A -t 10.10.5.2:80 -s rr
-A -t 10.10.5.3:80 -s rr
-A -t 10.10.5.4:80 -s rr
-A -t 10.10.5.5:80 -s rr
-A -t 10.10.5.9:80 -s rr

# duplicate services
-A -t 10.10.0.1:80 -s rr
-A -t 10.10.0.1:80 -s wrr -p
-A -u 10.10.1.1:53
-A --sctp-service 10.10.2.1:9999
-A -t [2001:db8::1]:80 -s rr
-A -f 1 -6 -s rr
-Ln

# edit services (rr only)
-E -t 10.10.5.5:80 -s nosuch
-E -t 10.10.5.5:80 -s rr -p 120 -M 255.255.255.0
-Ln -t 10.10.5.5:80
-E -t 10.10.5.5:80 -s rr -o
-E -t 10.10.5.5:80 -s rr -b flag-1
-Ln -t 10.10.5.5:80
-E -t 10.10.5.5:80 -s rr
-Ln -t 10.10.5.5:80
-E -t 10.10.3.1:80 -s rr
-E -t 10.10.3.7:80 -s none
-E -t 10.10.0.15:80 -s rr
-E -t 10.10.4.6:80 -s rr -b flag-3
-E -u 10.10.1.2:53 -s rr
-E -u 10.10.1.1:53 -s rr -o
-E -u 10.10.1.2:53 -s rr -p 60 --pe nosuch
-E -t [2001:db8::6]:80 -s rr
-E -t [2001:db8::3]:80 -s rr -p 60 -M 96
-E -t [2001:db8::3]:80 -s rr -p 60 -M 129
-E -f 1 -s rr -p 10
-E -f 2 -6 -s rr -p 20 -M 120
-E -f 3 -s rr
-E -f 1 -6 -s rr -o
-E -t 10.10.0.99:80 -s rr
-E -u 10.10.0.1:80 -s rr
-E -f 99 -s rr
-E -f 5 -s rr
-Ln
-S -n

# edit services: scheduler and persistence-engine changes
-E -t 10.10.0.1:80 -s wrr
-E -t 10.10.0.2:80
-E -t 10.10.0.3:80 -s lc -p 120
-E -t 10.10.0.5:80 -s none
-E -t 10.10.0.6:80 -s sh -b sh-port
-E -t 10.10.0.7:80 -s rr -b flag-3
-E -u 10.10.1.4:5060 -s rr
-E -u 10.10.1.1:53 -s rr -p 30 --pe sip
-E -u 10.10.1.5:5060 -s rr -p 60 --pe nosuch
-E -t [2001:db8::1]:80 -s sh -b sh-fallback
-E -t [2001:db8::1]:80 -s rr
-E -f 4 -s lc
-Ln
-S -n

# delete services
-D -t 10.10.5.9:80
-D -t 10.10.5.9:80
-D -t 10.10.0.16:80
-D -u 10.10.0.1:80
-D -t 10.10.0.99:80
-D -f 99
-D -f 4294967295
-D -f 2 -6
-D --sctp-service [2001:db8::1]:9999
-D --sctp-service 10.10.2.2:9999
-D -t [2001:db8::99]:80
-Ln

# real servers: forwarding methods, ports, weights, addresses
-a -t 10.10.5.1:80 -r 10.20.0.1:80 -m
-a -t 10.10.5.1:80 -r 10.20.0.2:8080 -m -w 0
-a -t 10.10.5.1:80 -r 10.20.0.3 -m -w 65535
-a -t 10.10.5.1:80 -r 10.20.0.4 -g -w 1
-a -t 10.10.5.1:80 -r 10.20.0.5:8080 -g
-a -t 10.10.5.1:80 -r 10.20.0.6 -i
-a -t 10.10.5.1:80 -r 10.20.0.7
-a -t 10.10.5.1:80 -r 10.20.0.8 -m -w 65536
-a -t 10.10.5.1:80 -r 10.20.0.9 -m -w -1
-a -t 10.10.5.1:80 -r 10.20.0.9 -m -w abc
-a -t 10.10.5.1:80 -r 127.0.0.1:80 -m
-a -t 10.10.5.1:80 -r 224.0.0.1 -m
-a -t 10.10.5.1:80 -r 0.0.0.0 -m
-a -t 10.10.5.1:80 -r 255.255.255.255 -m
-Ln
-S -n
-Ln -t 10.10.5.1:80
-Ln -t 10.10.0.99:80

# thresholds
-a -t 10.10.5.2:80 -r 10.20.0.11 -m -x 100 -y 50
-a -t 10.10.5.2:80 -r 10.20.0.12 -m -x 50 -y 100
-a -t 10.10.5.2:80 -r 10.20.0.12 -m -x 0 -y 10
-a -t 10.10.5.2:80 -r 10.20.0.12 -m -x 10
-a -t 10.10.5.2:80 -r 10.20.0.13 -m -y 10
-a -t 10.10.5.2:80 -r 10.20.0.14 -m -x 2147483647 -y 2147483647
-a -t 10.10.5.2:80 -r 10.20.0.15 -m -x 2147483648
-a -t 10.10.5.2:80 -r 10.20.0.16 -m -x 7 -y 7
-Ln --thresholds
-Ln -t 10.10.5.2:80 --thresholds
-S -n

# tunnels: ipip, gue, gre and checksum options
-a -t 10.10.5.3:80 -r 10.20.1.1 -i --tun-type ipip
-a -t 10.10.5.3:80 -r 10.20.1.2 -i --tun-type gue --tun-port 6080
-a -t 10.10.5.3:80 -r 10.20.1.3 -i --tun-type gue --tun-port 6080 --tun-nocsum
-a -t 10.10.5.3:80 -r 10.20.1.4 -i --tun-type gue --tun-port 6080 --tun-csum
-a -t 10.10.5.3:80 -r 10.20.1.5 -i --tun-type gue --tun-port 65535 --tun-remcsum
-a -t 10.10.5.3:80 -r 10.20.1.6 -i --tun-type gre
-a -t 10.10.5.3:80 -r 10.20.1.7 -i --tun-type gre --tun-csum
-a -t 10.10.5.3:80 -r 10.20.1.8 -i --tun-type gre --tun-nocsum
-a -t 10.10.5.3:80 -r 10.20.1.9 -i --tun-type gue
-a -t 10.10.5.3:80 -r 10.20.1.9 -i --tun-type gue --tun-port 0
-a -t 10.10.5.3:80 -r 10.20.1.9 -i --tun-type gre --tun-port 6080
-a -t 10.10.5.3:80 -r 10.20.1.9 -i --tun-type gre --tun-remcsum
-a -t 10.10.5.3:80 -r 10.20.1.9 -i --tun-type ipip --tun-csum
-a -t 10.10.5.3:80 -r 10.20.1.9 -i --tun-type gue --tun-port 6080 --tun-csum --tun-remcsum
-a -t 10.10.5.3:80 -r 10.20.1.9 -m --tun-type gue --tun-port 6080
-a -t 10.10.5.3:80 -r 10.20.1.9 -i --tun-type vxlan
-Ln --tun-info
-Ln -t 10.10.5.3:80 --tun-info
-S -n

# mixed address families
-a -t 10.10.5.4:80 -r [2001:db8:1::1]:80 -m
-a -t 10.10.5.4:80 -r [2001:db8:1::1]:80 -g
-a -t 10.10.5.4:80 -r [2001:db8:1::1]:80 -i
-a -t 10.10.5.4:80 -r [2001:db8:1::2]:80 -i --tun-type gue --tun-port 6080
-a -t [2001:db8::1]:80 -r 10.20.2.1 -m
-a -t [2001:db8::1]:80 -r 10.20.2.1 -i
-a -t [2001:db8::1]:80 -r [2001:db8:1::1]:80 -m
-a -t [2001:db8::1]:80 -r 2001:db8:1::2 -g
-a -t [2001:db8::1]:80 -r [2001:db8:1::3]:8080 -i --tun-type gre --tun-csum
-a -t [2001:db8::1]:80 -r [fe80::1]:80 -m
-a -t [2001:db8::1]:80 -r [ff02::1]:80 -m
-a -t [2001:db8::1]:80 -r [::1]:80 -m
-a -t [2001:db8::1]:80 -r [::]:80 -m
-Ln
-Ln --tun-info
-S -n
-Ln -t 10.10.5.4:80
-Ln -t [2001:db8::1]:80

# real servers of fwmark, UDP and SCTP services, port-0 (all ports) service
-a -f 1 -r 10.20.3.1:80 -m
-a -f 1 -r 10.20.3.2 -g
-a -f 1 -r 10.20.3.3:8080 -g
-a -f 1 -r 10.20.3.4 -m
-a -f 1 -6 -r [2001:db8:1::4]:80 -m
-a -f 1 -6 -r 10.20.3.5 -i
-a -f 99 -r 10.20.3.1 -m
-a -u 10.10.1.1:53 -r 10.20.4.1:53 -m
-a -u 10.10.1.1:53 -r 10.20.4.2:5353 -m -w 3
-a -u [2001:db8::1]:53 -r 2001:db8:1::5 -m
-a -u [2001:db8::1]:53 -r [2001:db8:1::6] -m
-a --sctp-service 10.10.2.1:9999 -r 10.20.5.1 -m
-a -t 10.10.3.3:0 -r 10.20.6.1 -m
-a -t 10.10.3.3:0 -r 10.20.6.2:0 -m
-a -t 10.10.3.3:0 -r 10.20.6.3 -g
-Ln
-S -n
-Ln -f 1
-Ln -f 1 -6
-Ln -u 10.10.1.1:53
-Ln --sctp-service 10.10.2.1:9999
-Ln -t 10.10.3.3:0

# bad real-server operations
-a -t 10.10.5.1:80 -r 10.20.0.1:80 -m
-a -t 10.10.5.1:80 -r 10.20.0.1:80 -g
-a -t 10.10.5.1:80 -r 10.20.0.1:80 -i -w 9
-a -t 10.10.0.99:80 -r 10.20.0.1 -m
-a -u 10.10.5.1:80 -r 10.20.0.1 -m
-e -t 10.10.5.1:80 -r 10.20.0.99:80 -m
-e -t 10.10.0.99:80 -r 10.20.0.1:80 -m
-d -t 10.10.5.1:80 -r 10.20.0.99:80
-d -t 10.10.0.99:80 -r 10.20.0.1:80
-d -t 10.10.5.1:80 -r 10.20.0.2
-a -t 10.10.5.1:80
-Ln

# edit real servers
-e -t 10.10.5.1:80 -r 10.20.0.1:80 -m -w 5
-Ln -t 10.10.5.1:80
-e -t 10.10.5.1:80 -r 10.20.0.1:80
-e -t 10.10.5.1:80 -r 10.20.0.2:8080 -m -x 10 -y 20
-e -t 10.10.5.1:80 -r 10.20.0.2:8080 -m -x 20 -y 10
-e -t 10.10.5.1:80 -r 10.20.0.3 -m -w 0
-e -t 10.10.5.1:80 -r 10.20.0.6 -i --tun-type gre --tun-csum
-e -t 10.10.5.3:80 -r 10.20.1.2 -i --tun-type gre
-e -t 10.10.5.3:80 -r 10.20.1.6 -i --tun-type gue --tun-port 7000 --tun-remcsum
-e -t 10.10.5.3:80 -r 10.20.1.3 -m
-e -t 10.10.5.4:80 -r [2001:db8:1::1]:80 -m
-e -t [2001:db8::1]:80 -r 10.20.2.1 -g
-e -f 1 -r 10.20.3.1:80 -g -w 7
-e -u 10.10.1.1:53 -r 10.20.4.2:5353 -m -w 65535 -x 1 -y 0
-Ln
-Ln --thresholds
-Ln --tun-info
-Ln --persistent-conn
-S -n

# scheduler changes on a service with real servers
-E -t 10.10.5.1:80 -s mh -b mh-fallback
-Ln -t 10.10.5.1:80
-E -t 10.10.5.1:80 -s none
-Ln -t 10.10.5.1:80
-E -t 10.10.5.1:80 -s rr
-Ln -t 10.10.5.1:80

# delete real servers
-d -t 10.10.5.1:80 -r 10.20.0.4
-d -t 10.10.5.1:80 -r 10.20.0.4
-d -t 10.10.5.1:80 -r 10.20.0.2:8080
-d -t 10.10.5.1:80 -r 127.0.0.1:80
-d -f 1 -r 10.20.3.2
-d -f 1 -r 10.20.3.3:8080
-d -f 1 -6 -r 10.20.3.5
-d -t [2001:db8::1]:80 -r [2001:db8:1::1]:80
-d -t 10.10.5.4:80 -r [2001:db8:1::2]:80
-Ln

# statistics, rates and zeroing
-Ln --stats
-Ln --stats --exact
-Ln --rate
-Ln --rate --exact
-Ln -t 10.10.5.1:80 --stats --exact
-Z -t 10.10.5.1:80
-Z -t 10.10.0.99:80
-Z -f 1
-Z -f 1 -6
-Z -f 99
-Z -u 10.10.1.1:53
-Z -t [2001:db8::1]:80
-Z
-Ln --stats --exact
-Ln --rate

# timeouts
-L -n --timeout
-L --timeout
--set 100 50 30
-L -n --timeout
--set 0 0 0
-L -n --timeout
--set 0 10 0
-L -n --timeout
--set 2678400 2678400 2678400
-L -n --timeout
--set 2678401 0 0
--set 1 2
--set -1 0 0
--set 900 120 300
-L -n --timeout

# listing options that must be refused or combined
-L -n --timeout --stats
-L -n --daemon --rate
-L -n -c --thresholds
-Ln --sort --exact
-Ln --thresholds --persistent-conn --tun-info

# sync daemons: refused while mixed-family real servers exist, then without them: a master on
# lo, a backup with every option (its maxlen clamped), the errors of a second start, of
# mixed-family real servers while daemons run, of stopping one that does not run
--start-daemon master --mcast-interface lo
-L -n --daemon
-d -t 10.10.5.4:80 -r [2001:db8:1::1]:80
-d -t [2001:db8::1]:80 -r 10.20.2.1
--start-daemon master --mcast-interface lo
--start-daemon master --mcast-interface ipvs-mx0
@ip link add ipvs-mx0 type dummy
@ip link set ipvs-mx0 up
--start-daemon master --mcast-interface ipvs-mx0 --syncid 7
-L -n --daemon
--start-daemon backup --mcast-interface ipvs-mx0 --syncid 9 --sync-maxlen 1000 --mcast-group 224.0.0.99 --mcast-port 9000 --mcast-ttl 3
-L -n --daemon
--start-daemon backup --mcast-interface ipvs-mx0
-a -t [2001:db8::6]:80 -r 10.20.7.1 -i
-a -t 10.10.5.4:80 -r [2001:db8:1::7]:80 -i
-d -t [2001:db8::6]:80 -r 10.20.7.1
-d -t 10.10.5.4:80 -r [2001:db8:1::7]:80
--stop-daemon master
-L -n --daemon
--stop-daemon master
--stop-daemon backup
-L -n --daemon
--stop-daemon backup
@ip link del ipvs-mx0

# save, clear, restore, save again: the two saves must be identical
@save s1
-C
-Ln
-S -n
@restore s1
@save s2
@cmp s1 s2
-Ln
-Ln --tun-info
-Ln --thresholds
@R -A -t 10.10.9.1:80 -s rr\n-a -t 10.10.9.1:80 -r 10.20.9.1 -m\nipvsadm -A -t 10.10.9.2:80 -s rr -p 10\n-A -t 10.10.9.1:80 -s rr\n-a -t 10.10.9.2:80 -r 10.20.9.2 -m
-Ln -t 10.10.9.1:80
-Ln -t 10.10.9.2:80
@R -A -t 10.10.9.3:80 -s rr\n-X bogus\n-A -t 10.10.9.4:80 -s rr
-Ln -t 10.10.9.3:80
-Ln -t 10.10.9.4:80

# clear everything
-C
-Ln
-S -n
-C
-Ln --stats --exact
EOF
)

# matrix DIR: runs the matrix against whatever IPVS is loaded; prints everything on stdout.
matrix() {
	local dir=$1 line args rc skip
	while IFS= read -r line; do
		case $line in
		'') continue ;;
		'#'*) printf '\n%s\n' "$line"; continue ;;
		esac
		skip=
		case $line in '!'*) skip=1; line=${line#!} ;; esac
		printf '### %s\n' "$line"
		read -ra args <<<"$line"
		[ -n "$skip" ] && exec 3>&1 1>>"$dir/uncompared.log" && printf '### %s\n' "$line"
		case ${args[0]} in
		@save) ipvsadm -S -n >"$dir/${args[1]}" 2>&1 </dev/null; rc=$?; cat "$dir/${args[1]}" ;;
		@restore) ipvsadm -R <"$dir/${args[1]}" 2>&1; rc=$? ;;
		@R) printf '%b\n' "${line#@R }" | ipvsadm -R 2>&1; rc=$? ;;
		@cmp) diff -u "$dir/${args[1]}" "$dir/${args[2]}" 2>&1; rc=$? ;;
		@ip) ip "${args[@]:1}" 2>&1 </dev/null; rc=$? ;;
		*) ipvsadm "${args[@]}" 2>&1 </dev/null; rc=$? ;;
		esac
		echo "rc=$rc"
		[ -n "$skip" ] && exec 1>&3 3>&- && echo "(not compared)"
	done <<<"$MATRIX"
}

# Start from freshly loaded modules (defaults for timeouts, (size=0), no daemons): use_impl only
# loads a module that is not loaded yet.
use_impl rs || exit 1
rmmod ipvs_rs || exit 1
status=0
for impl in c rs; do
	use_impl $impl || exit 1
	mkdir -p "$out/$impl"
	matrix "$out/$impl" >"$out/$impl.out"
	if ! cmp -s "$out/$impl/s1" "$out/$impl/s2"; then
		echo "$impl: save, clear, restore, save: the two saves differ" >&2
		status=1
	fi
done
# The matrix must not have pulled the C module in under ipvs_rs.
if loaded ip_vs; then
	echo "C ip_vs got loaded during the ipvs_rs run" >&2
	status=1
fi
ipvsadm -C
echo "matrix: $(grep -c '^### ' "$out/c.out") commands; C ip_vs output: $(wc -l <"$out/c.out") lines"
for impl in c rs; do
	[ -f "$out/$impl/uncompared.log" ] || continue
	echo "--- $impl: commands not compared ($(grep -c '^### ' "$out/$impl/uncompared.log"))"
	cat "$out/$impl/uncompared.log"
done
if ! diff -u "$out/c.out" "$out/rs.out"; then
	fail "ipvsadm output differs between C ip_vs (-) and ipvs_rs (+)"
	status=1
fi
rm -rf "$out"
exit $status
