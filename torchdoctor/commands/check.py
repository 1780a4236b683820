from torchdoctor.errors import DoctorError


def run_check(**opts) -> int:
    raise DoctorError("check is not implemented yet", 1)
