# tests/e2e/sim_cronjob_test.sh: the CronJob controller of `kdeploy sim`
# with the real kubectl. Schedule times that passed are reached at once by
# moving status.lastScheduleTime back (the controller catches up on the most
# recent missed time, as kube's does), so nothing waits for the clock.
. tests/e2e/lib.sh
. tests/e2e/simlib.sh

need_kubectl
start_sim || fail sim_starts "no kubeconfig: $(cat "$TMP/sim.err")"

# wait_for SECONDS CMD...: until CMD succeeds
wait_for() {
  n=$(($1 * 10)); shift
  while [ $n -gt 0 ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
    n=$((n - 1))
  done
  return 1
}
# back MIN: an RFC 3339 time MIN minutes ago
back() { date -u -d "-$1 min" +%Y-%m-%dT%H:%M:%SZ; }
# the most recent minute boundary, as the Job name suffix (away from the
# next boundary, so the controller's sync sees the same minute)
minute_now() {
  [ $(($(date -u +%s) % 60)) -lt 57 ] || sleep 4
  echo $(($(date -u +%s) / 60))
}
set_last() {
  k patch cronjob "$1" --subresource=status --type=merge \
    -p "{\"status\":{\"lastScheduleTime\":\"$(back "$2")\"}}" >/dev/null
}
job_count() { k get jobs -l "app=$1" -o name | wc -l | tr -d ' '; }

cat > "$TMP/cj.yaml" <<'EOF'
apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: "* * * * *"
  successfulJobsHistoryLimit: 1
  jobTemplate:
    metadata: {labels: {app: tick}}
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - {name: c, image: busybox, env: [{name: SIM_RUN_FOR, value: 300ms}]}
EOF
run k apply -f "$TMP/cj.yaml"
expect cronjob_created 0 'cronjob.batch/tick created'
run k get cronjob tick
expect cronjob_table 0 '^NAME +SCHEDULE +TIMEZONE +SUSPEND +ACTIVE +LAST SCHEDULE +AGE'
# created this minute: the first time is still ahead
sleep 0.3
run job_count tick
expect no_job_before_schedule 0 '^0$'

M=$(minute_now)
set_last tick 3
if wait_for 5 k get job "tick-$M"; then pass job_at_missed_time; else
  fail job_at_missed_time "$(k get jobs 2>&1)"; fi
run k get job "tick-$M" -o jsonpath='{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}/{.metadata.ownerReferences[0].controller} {.metadata.labels.app}'
expect job_owned_and_labelled 0 '^CronJob/tick/true tick$'
run k get job "tick-$M" -o jsonpath='{.metadata.annotations.batch\.kubernetes\.io/cronjob-scheduled-timestamp}'
expect job_scheduled_annotation 0 "^$(date -u -d "@$((M * 60))" +%Y-%m-%dT%H:%M:%SZ)\$"
run k get cronjob tick -o jsonpath='{.status.lastScheduleTime}'
expect last_schedule_time 0 "^$(date -u -d "@$((M * 60))" +%Y-%m-%dT%H:%M:%SZ)\$"
run k wait --for=condition=complete --timeout=10s "job/tick-$M"
expect job_completes 0 'condition met'
if wait_for 5 sh -c "[ -n \"\$($KUBECTL --kubeconfig $KC get cronjob tick -o jsonpath='{.status.lastSuccessfulTime}')\" ]"; then
  pass last_successful_time; else fail last_successful_time "$(k get cronjob tick -o yaml)"; fi
run k get cronjob tick -o jsonpath='{.status.active}'
[ "$RC" = 0 ] && [ -z "$OUT" ] && pass active_emptied || fail active_emptied "rc $RC: $OUT"
run k get events --field-selector involvedObject.name=tick -o jsonpath='{range .items[*]}{.reason}:{.message};{end}'
expect cronjob_events 0 "SuccessfulCreate:Created job tick-$M;.*SawCompletedJob:Saw completed job: tick-$M, condition: Complete"

# history: with successfulJobsHistoryLimit 1 the Job that started first goes
# when another owned one completes (kubectl's --from=cronjob sets the owner)
run k create job tick-manual --from=cronjob/tick
expect manual_job_from_cronjob 0 'job.batch/tick-manual created'
k wait --for=condition=complete --timeout=10s job/tick-manual >/dev/null 2>&1
if wait_for 5 sh -c "! $KUBECTL --kubeconfig $KC get job tick-$M"; then
  pass history_limit_deletes_oldest; else fail history_limit_deletes_oldest "$(k get jobs 2>&1)"; fi
run k get job tick-manual -o name
expect history_limit_keeps_newest 0 'job.batch/tick-manual'
run k get events --field-selector involvedObject.name=tick -o jsonpath='{range .items[*]}{.reason}:{.message};{end}'
expect history_delete_event 0 "SuccessfulDelete:Deleted job tick-$M"

# suspend: no Job at a missed time
k patch cronjob tick --type=merge -p '{"spec":{"suspend":true}}' >/dev/null
set_last tick 2
sleep 0.5
run k get job "tick-$M"
expect suspended_no_job 1 '' 'not found'
run k get cronjob tick -o jsonpath='{.spec.suspend}'
expect suspend_true 0 '^true$'

# Forbid: a running Job holds back the next one
cat > "$TMP/cf.yaml" <<'EOF'
apiVersion: batch/v1
kind: CronJob
metadata: {name: slow}
spec:
  schedule: "*/1 * * * *"
  concurrencyPolicy: Forbid
  jobTemplate:
    metadata: {labels: {app: slow}}
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - {name: c, image: busybox, env: [{name: SIM_RUN_FOR, value: 60s}]}
EOF
k apply -f "$TMP/cf.yaml" >/dev/null
M=$(minute_now)
set_last slow 3
wait_for 5 k get job "slow-$M"
run k get cronjob slow -o jsonpath='{.status.active[0].name}'
expect forbid_first_active 0 "^slow-$M\$"
set_last slow 5
sleep 0.5
run job_count slow
expect forbid_holds_back 0 '^1$'
# Replace: the running Job is deleted for the new one
k patch cronjob slow --type=merge -p '{"spec":{"concurrencyPolicy":"Replace"}}' >/dev/null
k label job "slow-$M" app- >/dev/null    # the next Job is found by name
set_last slow 5
if wait_for 5 sh -c "k() { $KUBECTL --kubeconfig $KC \"\$@\"; }; k get events --field-selector involvedObject.name=slow -o jsonpath='{.items[*].reason}' | grep -q SuccessfulDelete"; then
  pass replace_deletes_active; else fail replace_deletes_active "$(k get events 2>&1 | tail -5)"; fi

# validation: the cron parser's words
printf 'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: bad}\nspec:\n  schedule: "61 * * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers: [{name: c, image: busybox}]\n' > "$TMP/bad.yaml"
run k apply -f "$TMP/bad.yaml"
expect bad_schedule_422 1 '' 'spec.schedule: Invalid value: "61 \* \* \* \*": end of range \(61\) above maximum \(59\): 61'
sed 's/"61 \* \* \* \*"/"@often"/' "$TMP/bad.yaml" > "$TMP/bad2.yaml"
run k apply -f "$TMP/bad2.yaml"
expect bad_descriptor_422 1 '' 'unrecognized descriptor: @often'
sed 's/"61 \* \* \* \*"/"1 2 3"/' "$TMP/bad.yaml" > "$TMP/bad3.yaml"
run k apply -f "$TMP/bad3.yaml"
expect bad_field_count_422 1 '' 'expected exactly 5 fields, found 3: \[1 2 3\]'

# ---- spec.timeZone: IANA zones of the system tz database ----------------
# tz NAME ZONE SCHEDULE: a CronJob NAME running SCHEDULE in ZONE ("" none)
tz() {
  { printf 'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: %s}\nspec:\n' "$1"
    printf '  schedule: "%s"\n' "$3"
    [ -n "$2" ] && printf '  timeZone: "%s"\n' "$2"
    printf '  jobTemplate:\n    metadata: {labels: {app: %s}}\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers: [{name: c, image: busybox, env: [{name: SIM_RUN_FOR, value: 200ms}]}]\n' "$1"
  } > "$TMP/$1.yaml"
  k apply -f "$TMP/$1.yaml"
}
run tz tz-mars Mars/Base '0 * * * *'
expect tz_unknown_422 1 '' '^The CronJob "tz-mars" is invalid: spec.timeZone: Invalid value: "Mars/Base": unknown time zone Mars/Base$'
run tz tz-local Local '0 * * * *'
expect tz_local_422 1 '' 'spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones$'
run tz tz-dots '../etc/passwd' '0 * * * *'
expect tz_bad_name_422 1 '' 'spec.timeZone: Invalid value: "../etc/passwd": unknown time zone ../etc/passwd$'
run tz tz-dir America '0 * * * *'
expect tz_directory_422 1 '' 'spec.timeZone: Invalid value: "America": unknown time zone America$'
run tz tz-in-sched '' 'TZ=UTC 0 * * * *'
expect tz_in_schedule_422 1 '' '^The CronJob "tz-in-sched" is invalid: spec.schedule: Invalid value: "TZ=UTC 0 \* \* \* \*": cannot use TZ or CRON_TZ in schedule, use timeZone field instead$'
run tz tz-bad-prefix '' 'CRON_TZ=Mars/X 0 * * * *'
expect cron_tz_bad_location_422 1 '' '^\* spec.schedule: Invalid value: "CRON_TZ=Mars/X 0 \* \* \* \*": provided bad location Mars/X: unknown time zone Mars/X$'
printf '%s\n' "$ERR" | grep -qxF '* spec.schedule: Invalid value: "CRON_TZ=Mars/X 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead' &&
  pass cron_tz_in_schedule_also_named || fail cron_tz_in_schedule_also_named "$ERR"
run k get cronjob tz-mars
expect tz_invalid_not_created 1 '' 'not found'

# the schedule is read in the zone: this minute of Kathmandu's wall clock
# (+05:45) is due there and not in UTC
M=$(minute_now)
KTM=$(TZ=Asia/Kathmandu date -d "@$((M * 60))" '+%M %H')
run tz tz-ktm Asia/Kathmandu "$KTM * * *"
expect tz_created 0 'cronjob.batch/tz-ktm created'
tz tz-utc '' "$KTM * * *" >/dev/null
set_last tz-ktm 3
set_last tz-utc 3
if wait_for 5 k get job "tz-ktm-$M"; then pass tz_job_at_zone_time; else
  fail tz_job_at_zone_time "$(k get jobs 2>&1; k get events 2>&1 | tail -3)"; fi
run k get job "tz-ktm-$M" -o jsonpath='{.metadata.annotations.batch\.kubernetes\.io/cronjob-scheduled-timestamp}'
expect tz_scheduled_annotation_in_zone 0 "^$(TZ=Asia/Kathmandu date -d "@$((M * 60))" +%Y-%m-%dT%H:%M:%S)\\+05:45\$"
run k get cronjob tz-ktm -o jsonpath='{.status.lastScheduleTime}'
expect tz_last_schedule_utc 0 "^$(date -u -d "@$((M * 60))" +%Y-%m-%dT%H:%M:%SZ)\$"
run job_count tz-utc
expect tz_utc_not_due 0 '^0$'
run k get cronjob tz-ktm
expect tz_table_column 0 "tz-ktm +$KTM \\* \\* \\* +Asia/Kathmandu +False"

# $ZONEINFO names the tz database, as for Go; a zone that stops loading
# after creation holds the CronJob back with kube's UnknownTimeZone Warning
stop_sim
mkdir -p "$TMP/zi/Asia"
cp /usr/share/zoneinfo/Asia/Tokyo "$TMP/zi/Asia/Tokyo"
ZONEINFO="$TMP/zi" start_sim || fail sim_starts_zoneinfo "$(cat "$TMP/sim.err")"
run tz tz-gone Asia/Tokyo '* * * * *'
expect tz_from_zoneinfo 0 'cronjob.batch/tz-gone created'
run tz tz-other Europe/Paris '* * * * *'
expect tz_not_in_zoneinfo_422 1 '' 'spec.timeZone: Invalid value: "Europe/Paris": unknown time zone Europe/Paris$'
rm "$TMP/zi/Asia/Tokyo"
set_last tz-gone 3
if wait_for 5 sh -c "$KUBECTL --kubeconfig $KC get events --field-selector involvedObject.name=tz-gone -o jsonpath='{.items[*].reason}' | grep -q UnknownTimeZone"; then
  pass tz_unknown_event; else fail tz_unknown_event "$(k get events 2>&1 | tail -3)"; fi
run k get events --field-selector involvedObject.name=tz-gone,reason=UnknownTimeZone -o jsonpath='{.items[0].type}: {.items[0].message}'
expect tz_unknown_event_message 0 '^Warning: invalid timeZone: "Asia/Tokyo": unknown time zone Asia/Tokyo$'
run job_count tz-gone
expect tz_unknown_no_job 0 '^0$'

stop_sim
finish
