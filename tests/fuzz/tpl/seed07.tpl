x

{{- if .Values.t }}
yes
{{- end }}
z