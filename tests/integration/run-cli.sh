#!/bin/bash
# runimg's command line: help, version, usage errors (exit 2), options of later releases (a
# clear "not available yet", exit 2), the verbs' usage errors, not root (exit 3).
. "$top_srcdir/tests/lib.sh"
RUN_PREFIX=rcli
. "$top_srcdir/tests/integration/run-lib.sh"
[ -x "$RUNIMG" ] || skip_all "runimg not built"

ok "--help" sh -c '"$1" --help | grep -q "^Usage: runimg"' - "$RUNIMG"
ok "--version" sh -c '"$1" --version | grep -q "^runimg [0-9]"' - "$RUNIMG"
fails "no image" 2 "no image, directory or tarball given" "$RUNIMG"
fails "unknown option" 2 "unrecognized option" "$RUNIMG" --frobnicate x
fails "bad --bind" 2 "invalid value 'relative'" "$RUNIMG" --bind relative x
fails "bad --setenv" 2 "invalid value 'NOEQUALS'" "$RUNIMG" --setenv NOEQUALS x
fails "bad --timeout" 2 "invalid value 'soon'" "$RUNIMG" --timeout soon x
fails "bad machine name" 2 "invalid machine name" "$RUNIMG" -M 'a/b' x
fails "two images" 2 "more than one image" "$RUNIMG" -i a -D b
fails "--overlay DIR with a comma" 2 "cannot contain" "$RUNIMG" --overlay /a,b x
fails "bad --network" 2 "--network 'bridge=br0,mtu=1': invalid MTU '1'" \
	"$RUNIMG" --network=bridge=br0,mtu=1 x
fails "bad --network-bridge" 2 "--network-bridge 'a/b': invalid bridge name 'a/b'" \
	"$RUNIMG" --network-bridge=a/b x
fails "--settings with a missing file" 2 "cannot read settings file 'x.nspawn'" \
	"$RUNIMG" --settings=x.nspawn x
fails "'runimg list' takes no arguments" 2 "takes no arguments" "$RUNIMG" list x
fails "'runimg status' needs one name" 2 "takes one machine name" "$RUNIMG" status
fails "'runimg stop' needs one name" 2 "takes one machine name" "$RUNIMG" stop
fails "'runimg stop --timeout' checks its value" 2 "invalid value 'soon' for --timeout" \
	"$RUNIMG" stop --timeout soon x
fails "'runimg shell' needs a name" 2 "needs a machine name" "$RUNIMG" shell
fails "verbs check the name" 2 "invalid machine name 'a/b'" "$RUNIMG" status a/b
fails "run options do not go with a verb" 2 "cannot be used with 'runimg stop'" \
	"$RUNIMG" -b stop x
for v in list status shell stop; do
	ok "'runimg $v --help'" sh -c '"$1" $2 --help | grep -q "^Usage: runimg $2"' - "$RUNIMG" $v
done

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	mkdir -p "$T/tree"
	chmod 755 "$T"
	fails "not root: exit 3" 3 "must run as root" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$RUNIMG" -D "$T/tree" /bin/true
else
	skip "not root: exit 3" "needs root and setpriv to become another user"
fi
done_testing
