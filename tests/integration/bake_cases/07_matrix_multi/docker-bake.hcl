target "app" {
  name = "app-${tgt}-${replace(version, ".", "-")}"
  matrix = {
    tgt = ["release", "debug"]
    version = ["1.0", "2.1"]
  }
  target = tgt
  args = { VERSION = version }
}
group "default" { targets = ["app"] }
