/* engine/sim/sim_ctrl_svc.c: Services and Ingresses. The endpoints
 * controller keeps an Endpoints object per Service with a selector:
 * ready pods as addresses, not-ready ones as notReadyAddresses (all as
 * addresses with publishNotReadyAddresses), terminating pods left out,
 * ports resolved from targetPort (numbers or container port names). The
 * service controller gives type LoadBalancer Services (without a
 * loadBalancerClass) an ingress IP after a short delay, as a cloud or
 * MetalLB would; every Ingress gets the address of the simulated ingress
 * controller the same way. */
#include "sim_ctrl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LB_DELAY_MS 300
#define INGRESS_IP "172.18.255.200"

typedef struct svcc {
  sim *s;
  int sub;
  sim_queue *eps, *lbs, *ings;
  const sim_resource *svcs, *endpoints, *pods, *ingresses;
  int next_ip;
} svcc;

/* ---- endpoints ---------------------------------------------------------------*/

/* The container port of POD that TARGET names (a number or a port name);
 * 0 when a name resolves to nothing. */
static int64_t resolve_port(const kd_value *pod, const kd_value *target,
                            int64_t port)
{
  const kd_value *cs = kd_value_path(pod, "spec.containers");
  size_t i, j;
  if (!target || target->type == KD_NULL) return port;
  if (target->type == KD_INT) return target->u.i;
  if (target->type != KD_STR) return port;
  if (target->u.str.s[0] >= '0' && target->u.str.s[0] <= '9')
    return strtoll(target->u.str.s, NULL, 10);
  for (i = 0; i < sim_vlen(cs); i++) {
    const kd_value *ports = kd_value_path(&cs->u.arr.items[i], "ports");
    for (j = 0; j < sim_vlen(ports); j++)
      if (sim_vstr(&ports->u.arr.items[j], "name") &&
          !strcmp(sim_vstr(&ports->u.arr.items[j], "name"), target->u.str.s))
        return sim_vint(&ports->u.arr.items[j], "containerPort", 0);
  }
  return 0;
}

/* The EndpointPorts of SVC for POD, into PORTS (an array). */
static void pod_ports(const kd_value *svc, const kd_value *pod, kd_value *ports)
{
  const kd_value *sp = kd_value_path(svc, "spec.ports");
  size_t i;
  kd_value_arr(ports);
  for (i = 0; i < sim_vlen(sp); i++) {
    const kd_value *p = &sp->u.arr.items[i];
    int64_t n = resolve_port(pod, kd_obj_gets(p, "targetPort"), sim_vint(p, "port", 0));
    kd_value *e;
    if (!n || !(e = kd_arr_push(ports))) continue;
    kd_value_obj(e);
    if (sim_vstr(p, "name") && sim_vstr(p, "name")[0]) sim_vset_str(e, "name", sim_vstr(p, "name"));
    sim_vset_int(e, "port", n);
    sim_vset_str(e, "protocol", sim_vstr(p, "protocol") ? sim_vstr(p, "protocol") : "TCP");
    if (sim_vstr(p, "appProtocol")) sim_vset_str(e, "appProtocol", sim_vstr(p, "appProtocol"));
  }
}

static void address(const kd_value *svc, const kd_value *pod, kd_value *a)
{
  const char *host = sim_vstr(pod, "spec.hostname");
  const char *sub = sim_vstr(pod, "spec.subdomain");
  kd_value_obj(a);
  if (host && sub && !strcmp(sub, sim_vstr(svc, "metadata.name")))
    sim_vset_str(a, "hostname", host);
  sim_vset_str(a, "ip", sim_vstr(pod, "status.podIP"));
  if (sim_vstr(pod, "spec.nodeName")) sim_vset_str(a, "nodeName", sim_vstr(pod, "spec.nodeName"));
  sim_vset_str(a, "targetRef.kind", "Pod");
  sim_vset_str(a, "targetRef.name", sim_vstr(pod, "metadata.name"));
  sim_vset_str(a, "targetRef.namespace", sim_vstr(pod, "metadata.namespace"));
  sim_vset_str(a, "targetRef.uid", sim_vstr(pod, "metadata.uid"));
}

static int by_ip(const void *pa, const void *pb)
{
  const char *a = sim_vstr(pa, "ip"), *b = sim_vstr(pb, "ip");
  return strcmp(a ? a : "", b ? b : "");
}

/* The subset of SUBSETS whose ports equal PORTS (made when missing). */
static kd_value *subset_for(kd_value *subsets, const kd_value *ports)
{
  size_t i;
  kd_value *s, *slot;
  for (i = 0; i < subsets->u.arr.len; i++)
    if (kd_value_equal(kd_obj_gets(&subsets->u.arr.items[i], "ports"), ports))
      return &subsets->u.arr.items[i];
  if (!(s = kd_arr_push(subsets))) return NULL;
  kd_value_obj(s);
  if ((slot = kd_obj_add(s, "ports", 5))) kd_value_copy(slot, ports);
  return s;
}

static void sync_endpoints(sim *s, void *ctx, const char *ns, const char *name)
{
  svcc *c = ctx;
  const kd_value *svc = sim_obj_get(s, c->svcs, ns, name);
  const kd_value *have = sim_obj_get(s, c->endpoints, ns, name);
  const kd_value *sel = kd_value_path(svc, "spec.selector");
  kd_value pods, ep, *subsets, *labels;
  kd_error err;
  int publish;
  size_t i;
  if (!svc || !sel || sel->type != KD_OBJ || !sel->u.obj.len) {
    /* no selector: the endpoints are the user's; no service: they go */
    if (!svc && have && !kd_value_path(have, "metadata.deletionTimestamp"))
      sim_obj_delete(s, c->endpoints, ns, name, NULL, &err);
    return;
  }
  publish = sim_vbool(svc, "spec.publishNotReadyAddresses", 0);
  sim_list(s, c->pods, ns, NULL, NULL, &pods);
  kd_value_obj(&ep);
  if (have) kd_value_copy(&ep, have);
  sim_vset_str(&ep, "apiVersion", "v1");
  sim_vset_str(&ep, "kind", "Endpoints");
  sim_vset_str(&ep, "metadata.name", name);
  sim_vset_str(&ep, "metadata.namespace", ns);
  labels = sim_vobj(&ep, "metadata.labels");
  kd_value_clear(labels);
  if (kd_value_path(svc, "metadata.labels")) kd_value_copy(labels, kd_value_path(svc, "metadata.labels"));
  else kd_value_obj(labels);
  if (!labels->u.obj.len) sim_vdel(&ep, "metadata.labels");
  sim_vdel(&ep, "subsets");
  subsets = sim_varr(&ep, "subsets");
  for (i = 0; i < pods.u.arr.len; i++) {
    const kd_value *pod = &pods.u.arr.items[i];
    const char *ph = sim_vstr(pod, "status.phase");
    kd_value ports, *sub, *list, *a;
    int ready;
    if (!sim_map_match(sel, kd_value_path(pod, "metadata.labels"), 0) ||
        !sim_vstr(pod, "status.podIP") || (ph && (!strcmp(ph, "Succeeded") || !strcmp(ph, "Failed"))))
      continue;
    if (kd_value_path(pod, "metadata.deletionTimestamp") && !publish) continue;
    pod_ports(svc, pod, &ports);
    if (!ports.u.arr.len && sim_vlen(kd_value_path(svc, "spec.ports"))) {
      kd_value_clear(&ports);
      continue;
    }
    sub = subset_for(subsets, &ports);
    kd_value_clear(&ports);
    if (!sub) continue;
    ready = publish || (sim_pod_ready(pod) && !kd_value_path(pod, "metadata.deletionTimestamp"));
    list = sim_varr(sub, ready ? "addresses" : "notReadyAddresses");
    if ((a = kd_arr_push(list))) address(svc, pod, a);
  }
  for (i = 0; i < subsets->u.arr.len; i++) {
    kd_value *sub = &subsets->u.arr.items[i];
    kd_value *a = kd_obj_gets(sub, "addresses"), *n = kd_obj_gets(sub, "notReadyAddresses");
    if (sim_vlen(a) > 1) qsort(a->u.arr.items, a->u.arr.len, sizeof(kd_value), by_ip);
    if (sim_vlen(n) > 1) qsort(n->u.arr.items, n->u.arr.len, sizeof(kd_value), by_ip);
    /* kube orders the members: addresses, notReadyAddresses, ports */
    if (kd_obj_gets(sub, "ports") && !sim_vlen(kd_obj_gets(sub, "ports")))
      sim_vdel(sub, "ports");
  }
  if (!subsets->u.arr.len) sim_vdel(&ep, "subsets");
  if (!have) sim_obj_create(s, c->endpoints, ns, &ep, NULL, &err);
  else if (!kd_value_equal(have, &ep)) sim_obj_update(s, c->endpoints, &ep, NULL, &err);
  kd_value_clear(&ep);
  kd_value_clear(&pods);
}

/* ---- load balancers ------------------------------------------------------------*/

static void set_ingress(kd_value *obj, const char *ip, int vip)
{
  kd_value *list = sim_varr(obj, "status.loadBalancer.ingress"), *e;
  kd_value_clear(list);
  kd_value_arr(list);
  if (!ip || !(e = kd_arr_push(list))) return;
  kd_value_obj(e);
  sim_vset_str(e, "ip", ip);
  if (vip) sim_vset_str(e, "ipMode", "VIP");
}

static void sync_lb(sim *s, void *ctx, const char *ns, const char *name)
{
  svcc *c = ctx;
  const kd_value *svc = sim_obj_get(s, c->svcs, ns, name);
  const char *type = sim_vstr(svc, "spec.type");
  int want = type && !strcmp(type, "LoadBalancer") && !sim_vstr(svc, "spec.loadBalancerClass");
  int has = sim_vlen(kd_value_path(svc, "status.loadBalancer.ingress")) > 0;
  kd_value copy;
  kd_error err;
  if (!svc || kd_value_path(svc, "metadata.deletionTimestamp") || want == has) return;
  kd_value_copy(&copy, svc);
  if (want) {
    char ip[32];
    c->next_ip = c->next_ip % 199 + 1;
    snprintf(ip, sizeof ip, "172.18.255.%d", c->next_ip);
    sim_record(s, svc, "Normal", "EnsuringLoadBalancer", "service-controller", NULL,
               NULL, "Ensuring load balancer");
    set_ingress(&copy, ip, 1);
    sim_obj_update_status(s, c->svcs, &copy, NULL, &err);
    sim_record(s, svc, "Normal", "EnsuredLoadBalancer", "service-controller", NULL,
               NULL, "Ensured load balancer");
  } else {
    sim_record(s, svc, "Normal", "DeletingLoadBalancer", "service-controller", NULL,
               NULL, "Deleting load balancer");
    sim_vdel(&copy, "status.loadBalancer.ingress");
    sim_obj_update_status(s, c->svcs, &copy, NULL, &err);
    sim_record(s, svc, "Normal", "DeletedLoadBalancer", "service-controller", NULL,
               NULL, "Deleted load balancer");
  }
  kd_value_clear(&copy);
}

static void sync_ingress(sim *s, void *ctx, const char *ns, const char *name)
{
  svcc *c = ctx;
  const kd_value *ing = sim_obj_get(s, c->ingresses, ns, name);
  kd_value copy;
  kd_error err;
  if (!ing || kd_value_path(ing, "metadata.deletionTimestamp") ||
      sim_vlen(kd_value_path(ing, "status.loadBalancer.ingress")))
    return;
  kd_value_copy(&copy, ing);
  set_ingress(&copy, INGRESS_IP, 0);
  sim_obj_update_status(s, c->ingresses, &copy, NULL, &err);
  sim_record(s, ing, "Normal", "Sync", "nginx-ingress-controller", NULL, NULL,
             "Scheduled for sync");
  kd_value_clear(&copy);
}

/* ---- events ----------------------------------------------------------------------*/

struct pod_ctx {
  svcc *c;
  const kd_value *a, *b;   /* labels now and before */
};

static int queue_selecting(void *ctx, const kd_value *svc)
{
  struct pod_ctx *p = ctx;
  const kd_value *sel = kd_value_path(svc, "spec.selector");
  if (sim_map_match(sel, p->a, 0) || (p->b && sim_map_match(sel, p->b, 0)))
    sim_queue_add_obj(p->c->eps, svc);
  return 0;
}

static void on_event(sim *s, void *ctx, const sim_event *ev)
{
  svcc *c = ctx;
  const char *ns = sim_vstr(ev->obj, "metadata.namespace");
  const char *name = sim_vstr(ev->obj, "metadata.name");
  if (ev->res == c->svcs) {
    sim_queue_add(c->eps, ns, name);
    if (ev->type != SIM_DELETED) sim_queue_add_after(c->lbs, ns, name, LB_DELAY_MS);
  } else if (ev->res == c->pods) {
    struct pod_ctx p;
    p.c = c;
    p.a = kd_value_path(ev->obj, "metadata.labels");
    p.b = ev->old ? kd_value_path(ev->old, "metadata.labels") : NULL;
    sim_obj_each(s, c->svcs, ns, queue_selecting, &p);
  } else if (ev->res == c->endpoints && ev->type == SIM_DELETED) {
    sim_queue_add(c->eps, ns, name);   /* put back while its service lives */
  } else if (ev->res == c->ingresses && ev->type != SIM_DELETED) {
    sim_queue_add_after(c->ings, ns, name, LB_DELAY_MS);
  }
}

int sim_svc_start(sim *s, void **state, kd_error *err)
{
  svcc *c = calloc(1, sizeof *c);
  if (!c) return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  c->s = s;
  c->eps = sim_queue_new(s, sync_endpoints, c);
  c->lbs = sim_queue_new(s, sync_lb, c);
  c->ings = sim_queue_new(s, sync_ingress, c);
  if (!c->eps || !c->lbs || !c->ings) {
    sim_svc_stop(s, c);
    return kd_error_set(err, KD_ENOMEM, "sim: out of memory");
  }
  c->svcs = sim_res(s, "", "services");
  c->endpoints = sim_res(s, "", "endpoints");
  c->pods = sim_res(s, "", "pods");
  c->ingresses = sim_res(s, "networking.k8s.io", "ingresses");
  c->sub = sim_subscribe(s, on_event, c);
  sim_queue_add_all(c->eps, c->svcs);
  sim_queue_add_all(c->lbs, c->svcs);
  sim_queue_add_all(c->ings, c->ingresses);
  *state = c;
  return KD_OK;
}

void sim_svc_stop(sim *s, void *state)
{
  svcc *c = state;
  if (!c) return;
  if (c->sub) sim_unsubscribe(s, c->sub);
  sim_queue_free(c->eps);
  sim_queue_free(c->lbs);
  sim_queue_free(c->ings);
  free(c);
}
