from torchdoctor.errors import DoctorError


def run_suggest(**opts) -> int:
    raise DoctorError("suggest is not implemented yet", 1)
