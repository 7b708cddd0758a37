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
