"""What the tests of every kind share: the repository's paths, test data, and the local
stand-ins for AWS (``support.fakes``)."""
