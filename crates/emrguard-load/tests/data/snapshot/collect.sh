kubectl get pods -A -o json > k8s/pods.json
