# tests/e2e/kube_h2_test.sh: HTTP/2 multiplexing. nghttpd (Debian
# nghttp2-server; the sim speaks HTTP/1.1 only) serves static JSON over TLS
# with ALPN h2; 20 concurrent requests of one kdeploy.kube client must all
# answer and travel as 20 streams of one connection (nghttpd -v logs every
# frame with its connection id and stream id).
. tests/e2e/lib.sh
H2_PID=
trap '[ -n "$H2_PID" ] && kill "$H2_PID" 2>/dev/null; rm -rf "$TMP"' EXIT
H=$TMP/h2
mkdir -p "$H/docs"
command -v nghttpd >/dev/null || fail nghttpd_installed "nghttpd not found: make deps installs nghttp2-server"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$H/key.pem" -out "$H/cert.pem" -days 1 \
  -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1" 2>"$H/openssl.err" ||
  fail test_cert "$(cat "$H/openssl.err")"
for i in $(seq 1 20); do echo "{\"kind\":\"Status\",\"n\":$i}" > "$H/docs/obj$i"; done
# nghttpd cannot report a port it picked: try a few random ones.
for try in 1 2 3 4 5; do
  PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 12000))   # below the ephemeral range
  nghttpd -v -d "$H/docs" "$PORT" "$H/key.pem" "$H/cert.pem" > "$H/h2.log" 2>&1 &
  H2_PID=$!
  i=0; while ! grep -q "listen 0.0.0.0:$PORT" "$H/h2.log" && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done
  sleep 0.1
  kill -0 "$H2_PID" 2>/dev/null && break
  H2_PID=
done
[ -n "$H2_PID" ] && pass nghttpd_starts || fail nghttpd_starts "$(tail -3 "$H/h2.log")"
printf "current-context: h\nclusters:\n- name: h\n  cluster: {server: 'https://127.0.0.1:%s', certificate-authority: cert.pem}\ncontexts:\n- name: h\n  context: {cluster: h, user: u}\nusers:\n- name: u\n  user: {token: x}\n" \
  "$PORT" > "$H/kc"
run "$KDEPLOY" run tests/e2e/kube/h2.lua "$H/kc" 20
expect h2_concurrent_requests_answered 0 "^20$"
conns=$(grep -o '^\[id=[0-9]*\]' "$H/h2.log" | sort -u | wc -l)
streams=$(grep 'recv HEADERS frame' "$H/h2.log" | grep -o 'stream_id=[0-9]*' | sort -u | wc -l)
handshakes=$(grep -c 'SSL/TLS handshake completed' "$H/h2.log")
[ "$conns" = 1 ] && [ "$handshakes" = 1 ] && [ "$streams" = 20 ] && pass h2_one_connection_20_streams ||
  fail h2_one_connection_20_streams "connections $conns, handshakes $handshakes, streams $streams"
kill "$H2_PID" 2>/dev/null
wait "$H2_PID" 2>/dev/null
H2_PID=
finish
