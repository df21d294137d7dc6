# Sourced by e2e/workerd.sh and e2e/wrangler.sh (set TAG first): what both do around a worker run
# in workerd. log and fail print lines tagged [$TAG]; STAGE is a scratch directory removed on exit,
# after the workerd started by serve_workerd (if any) is stopped.
t0=$(date +%s%N)
log() { printf '[%s +%.1fs] %s\n' "$TAG" "$(( ($(date +%s%N) - t0) / 1000000 ))e-3" "$*"; }
fail() { echo "[$TAG] FAIL: $*" >&2; exit 1; }

STAGE=$(mktemp -d)
WD_PID=
cleanup() {
  if [ -n "$WD_PID" ]; then # TERM lets workerd drain requests; KILL if that takes over 3 s
    kill "$WD_PID" 2> /dev/null || true
    for _ in $(seq 30); do kill -0 "$WD_PID" 2> /dev/null || break; sleep 0.1; done
    kill -KILL "$WD_PID" 2> /dev/null || true
    wait "$WD_PID" 2> /dev/null || true
  fi
  rm -rf "$STAGE"
}
trap cleanup EXIT
trap "exit 143" TERM INT

# free_port prints a loopback port nothing listens on.
free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# serve_workerd PORT starts workerd on $STAGE/config.capnp (log in $STAGE/workerd.log) and waits
# until it listens on PORT.
serve_workerd() {
  (cd "$STAGE" && exec "$WORKERD" serve config.capnp --verbose) > "$STAGE/workerd.log" 2>&1 &
  WD_PID=$!
  for _ in $(seq 100); do
    (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null && return # listening (connect only: no request)
    kill -0 "$WD_PID" 2>/dev/null || { cat "$STAGE/workerd.log" >&2; fail "workerd exited"; }
    sleep 0.1
  done
}

# connections prints how many WebSocket connections the test server at $BASE has open.
connections() {
  curl -fsS --max-time 5 "$BASE/control/stats" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).connections))'
}

# expect_closed fails unless the test server's connections all close within 5 s.
expect_closed() {
  local open
  for _ in $(seq 50); do
    open=$(connections)
    [ "$open" = 0 ] && break
    sleep 0.1
  done
  [ "$open" = 0 ] || fail "$open WebSocket connections still open after the responses"
  log "ok: every request closed its socket"
}
