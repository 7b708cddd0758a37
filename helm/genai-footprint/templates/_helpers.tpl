{{/* Chart name, truncated to 63 characters. */}}
{{- define "genai-footprint.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-scoped full name, truncated to 63 characters. */}}
{{- define "genai-footprint.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "genai-footprint.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Standard labels. */}}
{{- define "genai-footprint.labels" -}}
helm.sh/chart: {{ include "genai-footprint.chart" . }}
{{ include "genai-footprint.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: genai-footprint
{{- end }}

{{/* Selector labels: stable for the life of a release. */}}
{{- define "genai-footprint.selectorLabels" -}}
app.kubernetes.io/name: {{ include "genai-footprint.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: api
{{- end }}

{{- define "genai-footprint.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "genai-footprint.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Image reference: repository@digest or repository:tag (tag defaults to appVersion). */}}
{{- define "genai-footprint.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Label that lets a pod through the NetworkPolicy (the helm test pod carries it). */}}
{{- define "genai-footprint.clientLabel" -}}
{{ include "genai-footprint.fullname" . }}-client: "true"
{{- end }}

{{/* nginx image: repository@digest or repository:tag. */}}
{{- define "genai-footprint.proxyImage" -}}
{{- if .Values.proxy.image.digest }}
{{- printf "%s@%s" .Values.proxy.image.repository .Values.proxy.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.proxy.image.repository .Values.proxy.image.tag }}
{{- end }}
{{- end }}

{{/*
Where the two containers meet: an emptyDir mounted in both, holding gunicorn's socket and nginx's pid file
(gunicorn's preStop waits for nginx to remove it). nginx's temporary files go to their own emptyDir.
*/}}
{{- define "genai-footprint.runDir" -}}/run/footprint{{- end }}
{{- define "genai-footprint.socket" -}}{{ include "genai-footprint.runDir" . }}/gunicorn.sock{{- end }}
{{- define "genai-footprint.nginxPid" -}}{{ include "genai-footprint.runDir" . }}/nginx.pid{{- end }}
{{- define "genai-footprint.nginxTempDir" -}}/tmp{{- end }}
{{- define "genai-footprint.nginxConfDir" -}}/etc/nginx/footprint{{- end }}

{{/*
files/nginx.conf with its placeholders filled: @run.*@ with the pod's places, every other @a.b@ with the chart
value at that path. An unknown placeholder stops rendering. scripts/proxied.py renders the same file the same
way for `make run-proxied` (tests/deploy/test_proxy_config.py compares the two).
*/}}
{{- define "genai-footprint.nginxConf" -}}
{{- $run := dict "listen" (toString (int .Values.containerPort)) "socket" (include "genai-footprint.socket" .) "pidFile" (include "genai-footprint.nginxPid" .) "tempDir" (include "genai-footprint.nginxTempDir" .) }}
{{- $conf := .Files.Get "files/nginx.conf" }}
{{- range $placeholder := regexFindAll "@[A-Za-z][A-Za-z0-9]*(\\.[A-Za-z][A-Za-z0-9]*)+@" $conf -1 | uniq }}
{{- $parts := splitList "." (trimAll "@" $placeholder) }}
{{- $value := "" }}
{{- if eq (first $parts) "run" }}
{{- if not (hasKey $run (last $parts)) }}{{ fail (printf "files/nginx.conf: no run value %s" $placeholder) }}{{ end }}
{{- $value = get $run (last $parts) }}
{{- else }}
{{- $node := $.Values }}
{{- range $parts }}
{{- if or (not (kindIs "map" $node)) (not (hasKey $node .)) }}{{ fail (printf "files/nginx.conf: no chart value %s" $placeholder) }}{{ end }}
{{- $node = index $node . }}
{{- end }}
{{- if kindIs "float64" $node }}{{ $node = int64 $node }}{{ end }}
{{- if not (or (kindIs "int64" $node) (kindIs "int" $node) (kindIs "string" $node)) }}{{ fail (printf "files/nginx.conf: chart value %s is not a number or a string" $placeholder) }}{{ end }}
{{- $value = toString $node }}
{{- end }}
{{- $conf = replace $placeholder $value $conf }}
{{- end }}
{{- $conf }}
{{- end }}

{{/* gunicorn's liveness and startup check: GET /healthz on its socket, exit 0 on a 200 (stdlib only, no site). */}}
{{- define "genai-footprint.socketProbe" -}}
- python
- -S
- -c
- "import socket,sys; s=socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1]); s.sendall(b'GET /healthz HTTP/1.0\\r\\nHost: probe\\r\\n\\r\\n'); sys.exit(s.recv(12)[9:12] != b'200')"
- {{ include "genai-footprint.socket" . }}
{{- end }}
