# tests/e2e/sim_ctrl_test.sh: the sim's controllers and kubelet seen
# through the real kubectl: rollouts (rollout status, get -w, history,
# undo, pause, Recreate, deadlines), ReplicaSets, StatefulSets,
# DaemonSets, Jobs (wait --for=condition=complete/failed), pod lifecycle
# and scripted failures (sim/crash, sim/pull-error, SIM_* env), logs -f,
# Endpoints and load balancers, PVCs, garbage collection, namespaces.
. tests/e2e/lib.sh
. tests/e2e/simlib.sh

need_kubectl

# until_match SECONDS PATTERN CMD...: runs CMD until its output matches
# PATTERN (ERE), at most SECONDS; leaves it in OUT. A ceiling, not a
# timing: every wait here ends as soon as the state is reached.
until_match() {
  limit=$(($1 * 10)) pat=$2
  shift 2
  n=0
  while :; do
    OUT=$("$@" 2>&1)
    printf '%s' "$OUT" | grep -qE -- "$pat" && return 0
    [ $n -ge $limit ] && return 1
    sleep 0.1
    n=$((n + 1))
  done
}
# check NAME SECONDS PATTERN CMD...: until_match as a test.
check() {
  name=$1
  shift
  if until_match "$@"; then pass "$name"; else fail "$name" "$(echo "$OUT" | head -5)"; fi
}
jp() { k get "$1" -o jsonpath="$2"; }
# count ARGS...: how many objects `kubectl get ARGS -o name` lists.
count() { k get "$@" -o name 2>/dev/null | grep -c .; }

start_sim --nodes 2 || fail sim_starts "$(cat "$TMP/sim.err")"

# ---- Deployment -------------------------------------------------------------
k create deployment web --image=nginx:1.25 --replicas=3 >/dev/null
run k rollout status deployment/web --timeout=30s
expect rollout_status_deployment 0 'deployment "web" successfully rolled out'
run jp deploy/web '{.status.observedGeneration} {.status.replicas} {.status.updatedReplicas} {.status.readyReplicas} {.status.availableReplicas}'
expect deployment_status_counts 0 '^1 3 3 3 3$'
run jp deploy/web '{range .status.conditions[*]}{.type}={.status}/{.reason} {end}'
expect deployment_conditions 0 '^Available=True/MinimumReplicasAvailable Progressing=True/NewReplicaSetAvailable $'
run jp deploy/web '{.status.conditions[?(@.type=="Progressing")].message}'
expect progressing_message 0 '^ReplicaSet "web-[bcdfghjklmnpqrstvwxz2456789]+" has successfully progressed\.$'
RS1=$(k get rs -l app=web -o jsonpath='{.items[0].metadata.name}')
run k get rs "$RS1" -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision} {.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name} {.spec.selector.matchLabels.pod-template-hash}'
expect replicaset_owned_and_hashed 0 "^1 Deployment/web ${RS1#web-}\$"
run k get pods -l app=web -o jsonpath='{range .items[*]}{.metadata.ownerReferences[0].name}:{.status.phase}:{.status.containerStatuses[0].ready} {end}'
expect pods_owned_running_ready 0 "^($RS1:Running:true ){3}\$"
run jp deploy/web '{.metadata.annotations.deployment\.kubernetes\.io/revision}'
expect deployment_revision_1 0 '^1$'

# a rolling update, watched: maxSurge 25% (1) and maxUnavailable 25% (0)
"$KUBECTL" --kubeconfig "$KC" get deploy web -w \
  -o jsonpath='{.status.updatedReplicas} {.status.readyReplicas} {.status.replicas}{"\n"}' \
  >"$TMP/watch.out" 2>&1 &
WPID=$!
until_match 10 '^3 3 3$' cat "$TMP/watch.out"
k set image deployment/web nginx=nginx:1.26 >/dev/null
run k rollout status deployment/web --timeout=30s
expect rollout_status_update 0 'successfully rolled out'
until_match 10 '^3 3 3$' sh -c "grep -Eq '^[12] [0-9]+ 4\$' '$TMP/watch.out' && tail -1 '$TMP/watch.out'"
kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null
# an intermediate state with one surged pod (4), then 3 updated and ready
grep -Eq '^[12] [0-9]+ 4$' "$TMP/watch.out" && tail -1 "$TMP/watch.out" | grep -qx '3 3 3' &&
  pass get_watch_sees_rollout || fail get_watch_sees_rollout "$(cat "$TMP/watch.out")"
run k get events --field-selector involvedObject.name=web,reason=ScalingReplicaSet --sort-by=.metadata.name -o jsonpath='{range .items[*]}{.message}{"\n"}{end}'
RS2=$(k get rs -l app=web -o jsonpath='{range .items[?(@.spec.replicas==3)]}{.metadata.name}{end}')
want="Scaled up replica set $RS1 from 0 to 3
Scaled up replica set $RS2 from 0 to 1
Scaled down replica set $RS1 from 3 to 2
Scaled up replica set $RS2 from 1 to 2
Scaled down replica set $RS1 from 2 to 1
Scaled up replica set $RS2 from 2 to 3
Scaled down replica set $RS1 from 1 to 0"
[ "$OUT" = "$want" ] && pass rolling_update_steps || fail rolling_update_steps "$OUT"
run k rollout history deployment/web
printf '%s\n' "$OUT" | grep -Eq '^1 ' && printf '%s\n' "$OUT" | grep -Eq '^2 ' &&
  pass rollout_history || fail rollout_history "$OUT"
run k rollout undo deployment/web
expect rollout_undo 0 'rolled back'
k rollout status deployment/web --timeout=30s >/dev/null
run jp deploy/web '{.spec.template.spec.containers[0].image} {.metadata.annotations.deployment\.kubernetes\.io/revision}'
expect undo_restores_template_revision_3 0 '^nginx:1.25 3$'
run k get rs "$RS1" -o jsonpath='{.spec.replicas} {.metadata.annotations.deployment\.kubernetes\.io/revision} {.metadata.annotations.deployment\.kubernetes\.io/revision-history}'
expect undo_reuses_old_replicaset 0 '^3 3 1$'

# /scale
run k scale deployment/web --replicas=5
expect scale 0 'scaled'
check scaled_to_5 20 '^5 5 5$' jp deploy/web '{.status.replicas} {.status.readyReplicas} {.status.availableReplicas}'

# paused: no rollout until resumed
k rollout pause deployment/web >/dev/null
k set image deployment/web nginx=nginx:1.27 >/dev/null
check paused_condition 10 '^Unknown/DeploymentPaused$' jp deploy/web '{.status.conditions[?(@.type=="Progressing")].status}/{.status.conditions[?(@.type=="Progressing")].reason}'
run k get rs -l app=web -o name
[ "$(echo "$OUT" | wc -l)" = 2 ] && pass paused_no_new_replicaset || fail paused_no_new_replicaset "$OUT"
k rollout resume deployment/web >/dev/null
run k rollout status deployment/web --timeout=30s
expect resumed_rolls_out 0 'successfully rolled out'

# revisionHistoryLimit: 1 old ReplicaSet kept
k patch deployment web -p '{"spec":{"revisionHistoryLimit":1}}' >/dev/null
k set image deployment/web nginx=nginx:1.28 >/dev/null
k rollout status deployment/web --timeout=30s >/dev/null
check revision_history_limit 10 '^2$' count rs -l app=web

# Recreate: the old ReplicaSet goes to 0 before the new one scales up
cat > "$TMP/recreate.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: rec}
spec:
  replicas: 2
  strategy: {type: Recreate}
  selector: {matchLabels: {app: rec}}
  template:
    metadata: {labels: {app: rec}}
    spec: {containers: [{name: c, image: nginx:1}]}
EOF
k apply -f "$TMP/recreate.yaml" >/dev/null
k rollout status deployment/rec --timeout=30s >/dev/null
k set image deployment/rec c=nginx:2 >/dev/null
run k rollout status deployment/rec --timeout=30s
expect recreate_rolls_out 0 'successfully rolled out'
run k get events --field-selector involvedObject.name=rec,reason=ScalingReplicaSet --sort-by=.metadata.name -o jsonpath='{range .items[*]}{.message}{"\n"}{end}'
printf '%s\n' "$OUT" | sed -n 2p | grep -q 'Scaled down replica set rec-.* from 2 to 0' &&
  printf '%s\n' "$OUT" | sed -n 3p | grep -q 'Scaled up replica set rec-.* from 0 to 2' &&
  pass recreate_order || fail recreate_order "$OUT"

# minReadySeconds: ready but not yet available
cat > "$TMP/minready.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: slow}
spec:
  replicas: 1
  minReadySeconds: 300
  selector: {matchLabels: {app: slow}}
  template:
    metadata: {labels: {app: slow}}
    spec: {containers: [{name: c, image: nginx}]}
EOF
k apply -f "$TMP/minready.yaml" >/dev/null
check min_ready_seconds 20 '^1  False/MinimumReplicasUnavailable 1$' jp deploy/slow '{.status.readyReplicas} {.status.availableReplicas} {.status.conditions[?(@.type=="Available")].status}/{.status.conditions[?(@.type=="Available")].reason} {.status.unavailableReplicas}'

# a rollout that cannot progress: rollout status fails after the deadline
cat > "$TMP/stuck.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: stuck}
spec:
  replicas: 1
  progressDeadlineSeconds: 2
  selector: {matchLabels: {app: stuck}}
  template:
    metadata: {labels: {app: stuck}}
    spec: {containers: [{name: c, image: sim/pull-error:1}]}
EOF
k apply -f "$TMP/stuck.yaml" >/dev/null
run k rollout status deployment/stuck --timeout=30s
expect rollout_status_deadline_exceeded 1 '' 'exceeded its progress deadline'
run jp deploy/stuck '{.status.conditions[?(@.type=="Progressing")].status}/{.status.conditions[?(@.type=="Progressing")].reason}'
expect progress_deadline_condition 0 '^False/ProgressDeadlineExceeded$'
POD=$(k get pods -l app=stuck -o jsonpath='{.items[0].metadata.name}')
run jp "pod/$POD" '{.status.phase} {.status.containerStatuses[0].state.waiting.reason}'
expect pull_error_waiting 0 '^Pending (ErrImagePull|ImagePullBackOff)$'
check image_pull_backoff 15 'ImagePullBackOff' jp "pod/$POD" '{.status.containerStatuses[0].state.waiting.reason}'
run k get events --field-selector "involvedObject.name=$POD" -o jsonpath='{range .items[*]}{.reason}:{.message}{"\n"}{end}'
printf '%s\n' "$OUT" | grep -q '^Failed:Failed to pull image "sim/pull-error:1": ' &&
  printf '%s\n' "$OUT" | grep -q '^Failed:Error: ErrImagePull$' &&
  printf '%s\n' "$OUT" | grep -q '^BackOff:Back-off pulling image "sim/pull-error:1"$' &&
  pass pull_error_events || fail pull_error_events "$OUT"

# ---- pods: lifecycle, scripts, logs ------------------------------------------
cat > "$TMP/pods.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: crash}
spec:
  containers: [{name: app, image: sim/crash}]
---
apiVersion: v1
kind: Pod
metadata: {name: unready}
spec:
  containers:
  - name: app
    image: nginx
    env: [{name: SIM_READY, value: "false"}]
    readinessProbe: {httpGet: {path: /, port: 80}}
---
apiVersion: v1
kind: Pod
metadata: {name: nowhere}
spec:
  nodeSelector: {disk: ssd}
  containers: [{name: app, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: init}
spec:
  initContainers: [{name: setup, image: busybox, env: [{name: SIM_LOG, value: "init done"}]}]
  containers:
  - name: app
    image: nginx:1.25
    ports: [{containerPort: 8080}]
    env: [{name: SIM_LOG, value: 'line one\nline two'}]
EOF
k apply -f "$TMP/pods.yaml" >/dev/null
check crash_loop_back_off 30 '^CrashLoopBackOff [2-9]' jp pod/crash '{.status.containerStatuses[0].state.waiting.reason} {.status.containerStatuses[0].restartCount}'
run jp pod/crash '{.status.phase} {.status.containerStatuses[0].lastState.terminated.exitCode} {.status.containerStatuses[0].lastState.terminated.reason}'
expect crash_last_state 0 '^Running 1 Error$'
run k logs crash
expect crash_logs 0 'fatal error: simulated crash'
run k get events --field-selector involvedObject.name=crash,reason=BackOff -o jsonpath='{.items[0].type} {.items[0].message}'
expect crash_backoff_event 0 '^Warning Back-off restarting failed container app in pod crash_default\('
check readiness_probe_fails 20 '^Unhealthy:Readiness probe failed: HTTP probe failed with statuscode: 503' \
  k get events --field-selector involvedObject.name=unready,reason=Unhealthy -o jsonpath='{.items[0].reason}:{.items[0].message}'
run jp pod/unready '{.status.phase} {.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].reason}'
expect unready_pod_running_not_ready 0 '^Running False ContainersNotReady$'
check failed_scheduling 10 "0/2 nodes are available: 2 node\\(s\\) didn't match Pod's node affinity/selector" \
  jp pod/nowhere '{.status.conditions[?(@.type=="PodScheduled")].message}'
run jp pod/nowhere '{.status.phase} {.status.conditions[?(@.type=="PodScheduled")].reason} {.spec.nodeName}'
expect unschedulable_stays_pending 0 '^Pending Unschedulable $'
run k get events --field-selector involvedObject.name=nowhere -o jsonpath='{.items[0].reason} {.items[0].source.component}'
expect failed_scheduling_event 0 '^FailedScheduling default-scheduler$'
k wait --for=condition=Ready pod/init --timeout=30s >/dev/null
run jp pod/init '{range .status.conditions[*]}{.type}={.status} {end}'
expect pod_conditions 0 '^PodReadyToStartContainers=True Initialized=True Ready=True ContainersReady=True PodScheduled=True $'
run jp pod/init '{.status.initContainerStatuses[0].state.terminated.reason} {.status.containerStatuses[0].image} {.status.containerStatuses[0].started} {.status.podIP}'
expect init_then_main 0 '^Completed docker.io/library/nginx:1.25 true 10\.244\.[0-9]+\.[0-9]+$'
run jp pod/init '{.status.containerStatuses[0].containerID} {.status.containerStatuses[0].imageID}'
expect container_ids 0 '^containerd://[0-9a-f]{64} docker.io/library/nginx@sha256:[0-9a-f]{64}$'
run k logs init -c setup
expect init_container_logs 0 'init done'
run k logs init
printf '%s\n' "$OUT" | grep -q 'starting container app from image nginx:1.25' &&
  printf '%s\n' "$OUT" | grep -q 'listening on port 8080/TCP' &&
  printf '%s\n' "$OUT" | grep -qx 'line one' && printf '%s\n' "$OUT" | grep -qx 'line two' &&
  pass sim_log_lines || fail sim_log_lines "$OUT"
run k get events --field-selector involvedObject.name=init --sort-by=.metadata.name -o jsonpath='{range .items[*]}{.reason} {end}'
expect pod_events_in_order 0 '^Scheduled Pulling Pulled Created Started (Pulling|Pulled) .*Created Started $'

# a new image in a running pod's spec restarts that container
k set image pod/init app=nginx:1.26 >/dev/null
check image_change_restarts 20 '^docker.io/library/nginx:1.26 1 true$' jp pod/init '{.status.containerStatuses[0].image} {.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].ready}'
run k get events --field-selector involvedObject.name=init,reason=Killing -o jsonpath='{.items[0].message}'
expect image_change_killing_event 0 '^Container app definition changed, will be restarted$'

# logs -f streams until the container exits
cat > "$TMP/talk.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: talk}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: busybox
    env: [{name: SIM_LOG_EVERY, value: 100ms}, {name: SIM_RUN_FOR, value: 1500ms}]
EOF
k apply -f "$TMP/talk.yaml" >/dev/null
k wait --for=jsonpath='{.status.phase}'=Running pod/talk --timeout=30s >/dev/null
run k logs -f talk
printf '%s\n' "$OUT" | grep -q 'heartbeat 5' && printf '%s\n' "$OUT" | tail -1 | grep -q 'exiting with code 0' &&
  pass logs_follow || fail logs_follow "rc $RC: $OUT"
run curl -s "$(sim_url)/api/v1/namespaces/default/pods/talk/log?follow=true&tailLines=1"
expect log_follow_http 0 'exiting with code 0'
run jp pod/talk '{.status.phase} {.status.containerStatuses[0].state.terminated.reason}'
expect finished_pod_succeeded 0 '^Succeeded Completed$'

# graceful deletion: the grace period shows, the pod goes when it is over
cat > "$TMP/slowstop.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: slowstop}
spec:
  terminationGracePeriodSeconds: 3
  containers: [{name: app, image: nginx, env: [{name: SIM_TERM_AFTER, value: 1m}]}]
EOF
k apply -f "$TMP/slowstop.yaml" >/dev/null
k wait --for=condition=Ready pod/slowstop --timeout=30s >/dev/null
k delete pod slowstop --wait=false >/dev/null
run jp pod/slowstop '{.metadata.deletionGracePeriodSeconds}'
expect graceful_deletion_marked 0 '^3$'
run k wait --for=delete pod/slowstop --timeout=30s
expect graceful_deletion_completes 0
run k get events --field-selector involvedObject.name=slowstop,reason=Killing -o jsonpath='{.items[0].message}'
expect killing_event 0 '^Stopping container app$'

# ---- bare ReplicaSet -------------------------------------------------------------
cat > "$TMP/rs.yaml" <<'EOF'
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: bare}
spec:
  replicas: 2
  selector: {matchLabels: {app: bare}}
  template:
    metadata: {labels: {app: bare}}
    spec: {containers: [{name: c, image: nginx}]}
EOF
k apply -f "$TMP/rs.yaml" >/dev/null
check replicaset_status 20 '^2 2 2 2 1$' jp rs/bare '{.status.replicas} {.status.fullyLabeledReplicas} {.status.readyReplicas} {.status.availableReplicas} {.status.observedGeneration}'
VICTIM=$(k get pods -l app=bare -o jsonpath='{.items[0].metadata.name}')
k delete pod "$VICTIM" >/dev/null
check replicaset_replaces_pod 20 '^2$' count pods -l app=bare --field-selector "status.phase=Running,metadata.name!=$VICTIM"

# ---- StatefulSet -------------------------------------------------------------------
cat > "$TMP/sts.yaml" <<'EOF'
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: postgres:16}]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
EOF
k apply -f "$TMP/sts.yaml" >/dev/null
run k rollout status statefulset/db --timeout=60s
expect rollout_status_statefulset 0 'partitioned roll out complete: 3 new pods have been updated'
run k get pods -l app=db -o jsonpath='{range .items[*]}{.metadata.name}/{.spec.hostname}/{.metadata.labels.apps\.kubernetes\.io/pod-index} {end}'
expect statefulset_ordinals 0 '^db-0/db-0/0 db-1/db-1/1 db-2/db-2/2 $'
run k get pvc -l app=db -o jsonpath='{range .items[*]}{.metadata.name}={.status.phase}:{.spec.storageClassName} {end}'
expect volume_claim_templates_bound 0 '^data-db-0=Bound:standard data-db-1=Bound:standard data-db-2=Bound:standard $'
run jp sts/db '{.status.replicas} {.status.readyReplicas} {.status.currentReplicas} {.status.updatedReplicas} {.status.availableReplicas}'
expect statefulset_status 0 '^3 3 3 3 3$'
REV1=$(jp sts/db '{.status.updateRevision}')
run k get pod db-0 -o jsonpath='{.metadata.labels.controller-revision-hash}'
expect pod_revision_label 0 "^$REV1\$"
k set image statefulset/db c=postgres:17 >/dev/null
run k rollout status statefulset/db --timeout=60s
expect statefulset_rolling_update 0 'partitioned roll out complete: 3 new pods'
run jp sts/db '{.status.currentRevision}={.status.updateRevision} {.spec.template.spec.containers[0].image}'
printf '%s' "$OUT" | grep -Eq "^(db-[^=]+)=\\1 postgres:17\$" && [ "${OUT%%=*}" != "$REV1" ] &&
  pass statefulset_revisions_converge || fail statefulset_revisions_converge "$OUT (was $REV1)"
k patch statefulset db -p '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}}}}' >/dev/null
k set image statefulset/db c=postgres:18 >/dev/null
run k rollout status statefulset/db --timeout=60s
expect statefulset_partition 0 'partitioned roll out complete: 1 new pods have been updated'
run k get pods -l app=db -o jsonpath='{range .items[*]}{.spec.containers[0].image} {end}'
expect partition_only_high_ordinals 0 '^postgres:17 postgres:17 postgres:18 $'
run k get controllerrevisions -l app=db -o name
[ "$(echo "$OUT" | wc -l)" = 3 ] && pass controller_revisions || fail controller_revisions "$OUT"

# OnDelete: a new template reaches a pod only when that pod is deleted
k patch statefulset db --type=merge -p '{"spec":{"updateStrategy":{"type":"OnDelete","rollingUpdate":null}}}' >/dev/null
k set image statefulset/db c=postgres:19 >/dev/null
sleep 1
run k get pods -l app=db -o jsonpath='{range .items[*]}{.spec.containers[0].image} {end}'
expect ondelete_keeps_pods 0 '^postgres:17 postgres:17 postgres:18 $'
k delete pod db-1 --wait=false >/dev/null
check ondelete_recreated_pod_updated 30 '^postgres:19$' jp pod/db-1 '{.spec.containers[0].image}'
run k get pods -l app=db -o jsonpath='{range .items[*]}{.spec.containers[0].image} {end}'
expect ondelete_others_untouched 0 '^postgres:17 postgres:19 postgres:18 $'

# ---- DaemonSet -------------------------------------------------------------------------
cat > "$TMP/ds.yaml" <<'EOF'
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: c, image: busybox}]}
EOF
k apply -f "$TMP/ds.yaml" >/dev/null
run k rollout status daemonset/agent --timeout=30s
expect rollout_status_daemonset 0 'daemon set "agent" successfully rolled out'
run k get pods -l app=agent -o jsonpath='{range .items[*]}{.spec.nodeName} {end}'
printf '%s' "$OUT" | tr ' ' '\n' | sort | tr '\n' ' ' | grep -Eq '^sim-node-1 sim-node-2 $' &&
  pass daemonset_one_pod_per_node || fail daemonset_one_pod_per_node "$OUT"
run jp ds/agent '{.status.desiredNumberScheduled} {.status.currentNumberScheduled} {.status.numberReady} {.status.updatedNumberScheduled} {.status.numberAvailable} {.status.numberMisscheduled}'
expect daemonset_status 0 '^2 2 2 2 2 0$'
k label node sim-node-2 disk=ssd >/dev/null
k patch daemonset agent -p '{"spec":{"template":{"spec":{"nodeSelector":{"disk":"ssd"}}}}}' >/dev/null
run k rollout status daemonset/agent --timeout=30s
expect daemonset_node_selector_rollout 0 'successfully rolled out'
check daemonset_node_selector 20 '^sim-node-2 $' k get pods -l app=agent -o jsonpath='{range .items[*]}{.spec.nodeName} {end}'
run jp ds/agent '{.status.desiredNumberScheduled}'
expect daemonset_desired_follows_selector 0 '^1$'
check node_label_schedules_pending_pod 20 '^Running sim-node-2$' jp pod/nowhere '{.status.phase} {.spec.nodeName}'

# ---- Jobs ------------------------------------------------------------------------------------
cat > "$TMP/jobs.yaml" <<'EOF'
apiVersion: batch/v1
kind: Job
metadata: {name: ok}
spec:
  completions: 3
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, env: [{name: SIM_RUN_FOR, value: 300ms}, {name: SIM_LOG, value: work done}]}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: bad}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, env: [{name: SIM_EXIT_CODE, value: "2"}]}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: late}
spec:
  activeDeadlineSeconds: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, env: [{name: SIM_RUN_FOR, value: 1h}]}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: short-lived}
spec:
  ttlSecondsAfterFinished: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
EOF
k apply -f "$TMP/jobs.yaml" >/dev/null
run k wait --for=condition=complete job/ok --timeout=60s
expect wait_job_complete 0 'job.batch/ok condition met'
run k get job ok
expect job_table_complete 0 'ok +Complete +3/3 '
run jp job/ok '{.status.succeeded} {.status.active} {.status.ready} {.status.terminating} {.status.completionTime}'
expect job_complete_status 0 '^3  0 0 [0-9T:-]+Z$'
run jp job/ok '{range .status.conditions[*]}{.type}={.status}/{.reason} {end}'
expect job_success_conditions 0 '^SuccessCriteriaMet=True/CompletionsReached Complete=True/CompletionsReached $'
run k logs job/ok
expect job_logs 0 'work done'
run k get pods -l job-name=ok -o jsonpath='{range .items[*]}{.status.phase}:{.metadata.finalizers} {end}'
expect job_pods_finished_and_released 0 '^(Succeeded: ){3}$'
run k wait --for=condition=failed job/bad --timeout=60s
expect wait_job_failed 0 'job.batch/bad condition met'
run jp job/bad '{.status.failed} {range .status.conditions[*]}{.type}={.reason} {end}'
expect job_backoff_limit 0 '^2 FailureTarget=BackoffLimitExceeded Failed=BackoffLimitExceeded $'
run k wait --for=condition=complete job/bad --timeout=1s
expect failed_job_never_completes 1
run k wait --for=condition=failed job/late --timeout=60s
expect job_active_deadline 0 'condition met'
run jp job/late '{.status.conditions[?(@.type=="Failed")].reason} {.status.conditions[?(@.type=="Failed")].message}'
expect deadline_exceeded_reason 0 '^DeadlineExceeded Job was active longer than specified deadline$'
run k wait --for=delete job/short-lived --timeout=60s
expect ttl_after_finished 0

# ---- Services, load balancers, Ingress ----------------------------------------------------------
k expose deployment web --port=80 --target-port=80 >/dev/null
check endpoints_from_ready_pods 20 '^(10\.244\.[0-9]+\.[0-9]+ ){5}80$' jp endpoints/web '{range .subsets[*].addresses[*]}{.ip} {end}{.subsets[0].ports[0].port}'
k expose deployment web --name=web-lb --type=LoadBalancer --port=80 >/dev/null
check load_balancer_ingress 20 '^172\.18\.255\.[0-9]+$' jp svc/web-lb '{.status.loadBalancer.ingress[0].ip}'
run k get events --field-selector involvedObject.name=web-lb -o jsonpath='{range .items[*]}{.reason} {end}'
expect load_balancer_events 0 'EnsuringLoadBalancer EnsuredLoadBalancer'
cat > "$TMP/ing.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - host: web.example
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
EOF
k apply -f "$TMP/ing.yaml" >/dev/null
check ingress_address 20 '^[0-9.]+$' jp ingress/web '{.status.loadBalancer.ingress[0].ip}'

# ---- PVCs -------------------------------------------------------------------------------------------
cat > "$TMP/pvc.yaml" <<'EOF'
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: lonely}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 2Gi}}}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast}
provisioner: example.com/fast
volumeBindingMode: Immediate
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: quick}
spec: {storageClassName: fast, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
EOF
k apply -f "$TMP/pvc.yaml" >/dev/null
check pvc_immediate_binds 20 '^Bound pvc-' jp pvc/quick '{.status.phase} {.spec.volumeName}'
run k get pv "$(jp pvc/quick '{.spec.volumeName}')" -o jsonpath='{.status.phase} {.spec.claimRef.name} {.spec.capacity.storage} {.spec.storageClassName}'
expect pv_provisioned 0 '^Bound quick 1Gi fast$'
check pvc_wait_for_first_consumer 20 'WaitForFirstConsumer' k get events --field-selector involvedObject.name=lonely -o jsonpath='{.items[*].reason}'
run jp pvc/lonely '{.status.phase} {.spec.storageClassName}'
expect pvc_pending_without_consumer 0 '^Pending standard$'

# ---- garbage collection ------------------------------------------------------------------------------
run k delete deployment rec
expect delete_background 0 'deleted'
check background_removes_dependents 20 '^0$' count rs,pods -l app=rec
run k delete deployment slow --cascade=foreground
expect delete_foreground 0 'deleted'
run k get rs,pods -l app=slow -o name
[ -z "$OUT" ] && pass foreground_waits_for_dependents || fail foreground_waits_for_dependents "$OUT"
RSW=$(k get rs -l app=web -o jsonpath='{range .items[?(@.spec.replicas==5)]}{.metadata.name}{end}')
run k delete deployment web --cascade=orphan
expect delete_orphan 0 'deleted'
check orphan_keeps_replicaset 20 "^$RSW \$" k get rs "$RSW" -o jsonpath='{.metadata.name} {.metadata.ownerReferences}'
run k get rs "$RSW" -o jsonpath='{.status.readyReplicas}'
expect orphaned_pods_keep_running 0 '^5$'

# ---- namespaces ----------------------------------------------------------------------------------------
k create namespace doomed >/dev/null
k -n doomed create deployment app --image=nginx >/dev/null
k -n doomed create configmap held --from-literal=a=b >/dev/null
k -n doomed patch configmap held -p '{"metadata":{"finalizers":["example.com/hold"]}}' >/dev/null
k delete namespace doomed --wait=false >/dev/null
check namespace_terminating 20 'True/SomeFinalizersRemain' jp ns/doomed '{.status.phase} {.status.conditions[?(@.type=="NamespaceFinalizersRemaining")].status}/{.status.conditions[?(@.type=="NamespaceFinalizersRemaining")].reason}'
printf '%s' "$OUT" | grep -q '^Terminating ' && pass namespace_phase_terminating || fail namespace_phase_terminating "$OUT"
run k -n doomed create configmap late --from-literal=a=b
expect terminating_namespace_refuses_content 1 '' 'because it is being terminated'
check namespace_content_removed 20 '^configmap/held$' k -n doomed get deploy,rs,pods,configmaps -o name
k -n doomed patch configmap held -p '{"metadata":{"finalizers":null}}' >/dev/null
run k wait --for=delete namespace/doomed --timeout=30s
expect namespace_goes_when_empty 0

stop_sim
finish
