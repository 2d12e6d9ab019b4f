"""The docker runtime: the stack as a compose project, driven through a `DockerEngine` port."""
