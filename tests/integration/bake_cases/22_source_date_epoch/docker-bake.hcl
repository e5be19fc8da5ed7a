target "a" {}
target "b" { args = { SOURCE_DATE_EPOCH = "0" } }
group "default" { targets = ["a", "b"] }
