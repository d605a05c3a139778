--- kdeploy.kubeflags: the command-line flags that pick the cluster, shared
-- by every command that talks to one (specs for kdeploy.flags). Kept apart
-- from kdeploy.kube so that declaring them loads no network code;
-- `kube.configure(opts)` applies the parsed values.
return {
  { name = "kubeconfig", arg = "FILE", help = "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)" },
  { name = "kube-context", arg = "NAME", help = "kubeconfig context to use" },
  { name = "namespace", short = "n", arg = "NS", help = "namespace (default: the context's)" },
  { name = "kube-qps", arg = "N", help = "client-side request rate limit per second (default 2000)" },
  { name = "kube-burst", arg = "N", help = "requests allowed at once above the rate (default 4000)" },
}
