variable "REPO" { default = "example" }
function "img" {
  params = [name]
  result = "${REPO}/${name}"
}
function "imgs" {
  params = [name]
  variadic_params = tags
  result = length(tags) == 0 ? [img(name)] : [for t in tags : "${img(name)}:${t}"]
}
function "notused" {
  params = []
  result = "x"
}
target "a" { tags = imgs("a") }
target "b" { tags = imgs("b", "1", "2") }
target "c" { tags = [notused()] }
group "default" { targets = ["a", "b", "c"] }
