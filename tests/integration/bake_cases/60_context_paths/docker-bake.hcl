target "git" { context = "https://github.com/docker/buildx.git#v0.29.1" }
target "ssh" { context = "git@github.com:docker/buildx.git" }
target "cwd" {
  context = "cwd://./sub/../x/"
  contexts = { c = "cwd://other/./dir", d = "./rel/../dir2" }
}
target "abs" { context = "/tmp/../tmp/abs/" }
target "dots" { context = "./a/b/../../." }
target "tar" { context = "https://example.com/ctx.tar.gz" }
target "gh" { context = "github.com/docker/buildx" }
group "default" { targets = ["git", "cwd", "abs", "dots", "tar", "gh"] }
