target "svc-a" { tags = ["a"] }
target "svc-b" { tags = ["b"] }
target "tool" { tags = ["t"] }
group "default" { targets = ["svc-a", "svc-b", "tool"] }
