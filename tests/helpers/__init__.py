"""What the tests share: fake torch envs, linked venvs, a local package index, fake probes."""
