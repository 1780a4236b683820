from torchdoctor.errors import DoctorError


def run_smoke(**opts) -> int:
    raise DoctorError("smoke is not implemented yet", 1)
