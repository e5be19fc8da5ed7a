target "default" {
  output = ["type=local,dest=out", "./bin", "type=docker,name=foo"]
  cache-to = ["type=inline", "type=registry,ref=example/cache,mode=max"]
  cache-from = ["example/cache:a,example/cache:b"]
  attest = ["type=provenance,mode=max", "type=sbom,disabled=true"]
  annotations = ["index:org.opencontainers.image.title=app", "manifest:foo=bar"]
  network = "host"
  shm-size = "128m"
  ulimits = ["nofile=1024:2048"]
  no-cache-filter = ["stage1"]
  extra-hosts = { "myhost" = "10.0.0.1" }
  call = "check"
  description = "The app"
  entitlements = ["security.insecure"]
}
