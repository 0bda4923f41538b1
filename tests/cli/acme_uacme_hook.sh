#!/bin/sh
# uacme's challenge hook for tests/cli/acme_uacme.sh: METHOD TYPE IDENT
# TOKEN AUTH (uacme(1)). http-01 for addresses only: the key
# authorization into the web root the test serves; dns-01 for names
# only: a TXT record into the zone of the test's nsd, which is told to
# read it again, and waited for (10 s at most). Other challenges are
# declined. Needs HOOK_WWW, HOOK_ZONE, HOOK_NSD_PID, HOOK_DNS_PORT.
set -eu
method=$1 type=$2 ident=$3 token=$4 auth=$5
echo "hook: $method $type $ident" >>"$HOOK_WWW/../hook.log"
case "$method:$type" in
begin:http-01)
	case "$ident" in
	*[!0-9.:]*) exit 1 ;;
	esac
	printf '%s' "$auth" >"$HOOK_WWW/.well-known/acme-challenge/$token"
	;;
begin:dns-01)
	case "$ident" in
	*.example.com) ;;
	*) exit 1 ;;
	esac
	name=_acme-challenge.${ident#\*.}
	echo "$name. IN TXT \"$auth\"" >>"$HOOK_ZONE"
	kill -HUP "$HOOK_NSD_PID"
	python3 - "$name" "$auth" "$HOOK_DNS_PORT" <<'PY'
import socket, struct, sys, time
name, value, port = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
q = struct.pack(">HHHHHH", 7, 0, 1, 0, 0, 0)
for label in name.split("."):
    q += bytes([len(label)]) + label.encode()
q += b"\x00" + struct.pack(">HH", 16, 1)
for _ in range(50):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    try:
        s.sendto(q, ("127.0.0.1", port))
        if value in s.recv(4096):
            sys.exit(0)
    except OSError:
        pass
    finally:
        s.close()
    time.sleep(0.2)
sys.exit(1)
PY
	;;
done:http-01 | failed:http-01)
	rm -f "$HOOK_WWW/.well-known/acme-challenge/$token"
	;;
done:* | failed:*) ;;
*) exit 1 ;;
esac
exit 0
