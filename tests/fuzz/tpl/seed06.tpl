a  {{- .Values.s -}}   b
 {{- /* gone */ -}}
  c