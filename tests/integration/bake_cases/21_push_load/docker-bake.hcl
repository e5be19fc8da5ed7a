target "a" { output = ["type=image,name=example/a"] }
target "b" { output = ["type=registry"] }
target "c" {}
target "d" { output = ["type=docker"] }
group "default" { targets = ["a", "b", "c", "d"] }
