"""rocm.*: the ROCm build has code for each AMD GPU."""

from __future__ import annotations


from torchdoctor.checks import areas
from torchdoctor.checks.fixes import cmd
from torchdoctor.checks.registry import check
from torchdoctor.checks.views import arch_list, build, said, torch_version
from torchdoctor.facts import Facts
from torchdoctor.findings import Finding, Fix, error, info
from torchdoctor.knowledge import Knowledge

from torchdoctor.knowledge.rocm import gfx_override, override_target  # the HSA override table (rocm.json)


@check("rocm.gfx_unsupported", areas.ROCM, "the ROCm build has code for each AMD GPU", needs=("gpus",))
def gfx_unsupported(f: Facts, k: Knowledge | None) -> Finding | None:
    b = build(f)
    amd = [g for g in f.gpus if g.vendor == "amd" and g.gfx]
    if b is None or b[0] != "rocm" or not amd:
        return None
    archs, where = arch_list(f, k)
    told = said(f, "hip_no_code")
    if not archs and told:
        # a paste: ROCm itself says it has no code object for this GPU
        g = amd[0]
        current = (f.env or {}).get("HSA_OVERRIDE_GFX_VERSION")
        row = gfx_override(g.gfx)
        override = (row.value, row.target) if row else None
        msg = (f"{g.name or 'AMD GPU'} ({g.gfx}) has no code in this ROCm build: it says '{told.text}'.")
        if current:
            msg += (f" With HSA_OVERRIDE_GFX_VERSION={current} (as in the paste) it runs as "
                    f"{override_target(current) or current}: an unofficial workaround that works for most operations.")
        fix = (Fix(f"Run it as the closest supported target ({override[1]}) — unofficial, but the usual workaround "
                   "— or use a build that contains this GPU.", (f"export HSA_OVERRIDE_GFX_VERSION={override[0]}",))
               if override else Fix("Use a ROCm build that contains this GPU (ROCm's per-gfx wheels), or run on the CPU."))
        return error(msg, fix)
    if not archs:
        return None
    bare = {a.split(":")[0] for a in archs}
    bad = [g for g in amd if g.gfx.split(":")[0] not in bare]
    if not bad:
        return None
    current = (f.env or {}).get("HSA_OVERRIDE_GFX_VERSION")
    if current and override_target(current) in bare:
        g = bad[0]
        return info(f"{g.name or 'AMD GPU'} ({g.gfx}) is not in torch {torch_version(f)}'s ROCm build, but "
                    f"HSA_OVERRIDE_GFX_VERSION={current} runs it as {override_target(current)}, which is: an "
                    "unofficial workaround that works for most operations.")
    g = bad[0]
    row = gfx_override(g.gfx, bare)
    override = (row.value, row.target) if row else None
    msg = (f"{g.name or 'AMD GPU'} ({g.gfx}) is not in torch {torch_version(f)}'s ROCm build, which has "
           f"{' '.join(archs)} (from {where}): kernels fail with 'HIP error: invalid device function'.")
    if current:
        msg += f" HSA_OVERRIDE_GFX_VERSION is set to {current}."
    if override and not current:
        return error(msg, Fix(f"Run it as the closest supported target ({override[1]}) — unofficial, but the "
                              "usual workaround — or use a build that contains this GPU.",
                              (cmd(f, "export", f"HSA_OVERRIDE_GFX_VERSION={override[0]}"),)))
    return error(msg, Fix("Use a ROCm build that contains this GPU (ROCm's per-gfx wheels), or run on the CPU."))
