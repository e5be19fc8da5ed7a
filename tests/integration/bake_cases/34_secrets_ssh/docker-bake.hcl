target "default" {
  secret = [
    "id=token,env=TOKEN",
    "type=env,id=other,src=OTHER_ENV",
    { id = "obj", env = "OBJ_ENV" },
  ]
  cache-from = [{ type = "registry", ref = "example/cache" }]
  output = [{ type = "image", name = "example/x", push = "false" }]
}
