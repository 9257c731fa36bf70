def pytest_addoption(parser):
    parser.addoption('--nbflags', default='', help='notebook test flags to run as well, e.g. "slow" or "slow gpu"')
