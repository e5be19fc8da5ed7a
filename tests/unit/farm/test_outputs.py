"""Which targets may be split over nodes, and what each node is asked to push then."""

from __future__ import annotations

from buildwright.client.outputs import OutputSpec
from buildwright.farm.outputs import by_digest, pushed_names, repository, splittable


def test_pushes_to_a_registry_split_files_and_stores_do_not() -> None:
    assert splittable({"tags": ["r.io/app:1"], "push": True})
    assert splittable({"outputs": ["type=registry,name=r.io/app:1"]})
    assert splittable({"outputs": ["type=image,name=r.io/app:1,push=true"]})
    assert splittable({})  # each leg builds into its node's cache
    assert not splittable({"outputs": ["type=local,dest=out"]})
    assert not splittable({"outputs": ["type=image,name=r.io/app:1"]})  # an image store, no push
    assert not splittable({"tags": ["r.io/app:1"], "push": True, "load": True})
    assert not splittable({"push": True})  # nowhere to push to


def test_pushed_names_come_from_tags_and_outputs() -> None:
    assert pushed_names({"tags": ["r.io/a:1", "r.io/b:2"], "push": True}) == ("r.io/a:1", "r.io/b:2")
    assert pushed_names({"outputs": ["type=registry,name=r.io/a:1"]}) == ("r.io/a:1",)


def test_a_split_leg_pushes_by_digest_to_the_repositories_keeping_its_attributes() -> None:
    options = {
        "context": ".",
        "tags": ["r.io/a:1"],
        "outputs": ["type=image,push=true,rewrite-timestamp=true,oci-mediatypes=true"],
        "iidfile": "id",
        "metadata_file": "m.json",
        "build_args": {"A": "1"},
    }
    job = by_digest(options)
    assert set(job) == {"context", "build_args", "outputs"}
    (spec,) = job["outputs"]
    assert isinstance(spec, OutputSpec) and spec.type == "image"
    assert spec.attrs == {
        "push": "true",
        "rewrite-timestamp": "true",
        "oci-mediatypes": "true",
        "name": "r.io/a",
        "push-by-digest": "true",
    }


def test_a_split_leg_with_nothing_to_push_has_no_output() -> None:
    assert by_digest({"context": ".", "tags": ["app"]}) == {"context": "."}


def test_repository_drops_the_tag_and_expands_docker_hub() -> None:
    assert repository("127.0.0.1:5000/x/app:1") == "127.0.0.1:5000/x/app"
    assert repository("app") == "docker.io/library/app"
