{{/* Labels every object of a service carries; the selector is their stable subset. */}}
{{- define "ecom.selector" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/part-of: {{ .root.Values.stack }}
{{- end }}

{{- define "ecom.labels" -}}
{{ include "ecom.selector" . }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- end }}

{{- define "ecom.image" -}}
{{- $image := .root.Values.image -}}
{{- $repository := printf "%s/%s" $image.repository .name -}}
{{- if $image.registry }}{{ $repository = printf "%s/%s" $image.registry $repository }}{{ end -}}
{{- if $image.digest }}{{ printf "%s@%s" $repository $image.digest }}{{ else }}{{ printf "%s:%s" $repository $image.tag }}{{ end -}}
{{- end }}

{{/* Pod security shared by services and migration jobs: non-root, read-only root, no capabilities. */}}
{{- define "ecom.podSecurity" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "ecom.containerSecurity" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 10001
capabilities:
  drop: ["ALL"]
{{- end }}

{{- define "ecom.podTemplate" -}}
metadata:
  labels:
    {{- include "ecom.labels" . | nindent 4 }}
  annotations:
    checksum/config: {{ .svc.env | toJson | sha256sum }}
spec:
  serviceAccountName: {{ .name }}
  automountServiceAccountToken: false
  enableServiceLinks: false
  securityContext:
    {{- include "ecom.podSecurity" . | nindent 4 }}
  terminationGracePeriodSeconds: {{ .root.Values.terminationGracePeriodSeconds }}
  topologySpreadConstraints:
    {{- range $key := list "topology.kubernetes.io/zone" "kubernetes.io/hostname" }}
    - maxSkew: 1
      topologyKey: {{ $key }}
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "ecom.selector" $ | nindent 10 }}
    {{- end }}
  containers:
    - name: {{ .name }}
      image: {{ include "ecom.image" . }}
      imagePullPolicy: {{ .root.Values.image.pullPolicy }}
      ports:
        - name: http
          containerPort: {{ .svc.port }}
          protocol: TCP
      envFrom:
        - configMapRef:
            name: {{ .name }}
        {{- if .svc.secretKeys }}
        - secretRef:
            name: {{ .svc.existingSecret }}
        {{- end }}
      startupProbe:
        httpGet: {path: /health/live, port: http}
        periodSeconds: 2
        failureThreshold: 60
      livenessProbe:
        httpGet: {path: /health/live, port: http}
        periodSeconds: 10
        timeoutSeconds: 3
        failureThreshold: 3
      readinessProbe:
        httpGet: {path: /health/ready, port: http}
        periodSeconds: 5
        timeoutSeconds: 3
        failureThreshold: 2
      resources:
        {{- toYaml .svc.resources | nindent 8 }}
      securityContext:
        {{- include "ecom.containerSecurity" . | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
{{- end }}
