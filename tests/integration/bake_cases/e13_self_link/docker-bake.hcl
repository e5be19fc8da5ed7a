target "default" { contexts = { me = "target:default" } }
