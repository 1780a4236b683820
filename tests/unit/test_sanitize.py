"""The sanitizer: untrusted text reaches a terminal or markdown only as visible, masked text."""

import json

from torchdoctor.privacy import home_to_tilde, mask_ids, private, private_tree, tilde
from torchdoctor.sanitize import clean, clean_markdown, code_fence, code_span, escape_controls, strict_json


def test_escape_sequences_become_visible():
    hostile = ("\x1b]0;pwned\x07title \x1b[2J clear \x1b]52;c;ZXZpbA==\x07 clip "
               "\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\ \x1bP dcs \x9b31m c1 \u202e bidi")
    out = escape_controls(hostile)
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out and "\u202e" not in out
    assert "\\x1b]0;pwned\\x07" in out and "\\u202e" in out


def test_newlines_and_tabs_stay_and_crlf_is_a_newline():
    assert escape_controls("a\tb\nc\r\nd") == "a\tb\nc\nd"
    assert escape_controls("abc\rxyz") == "abc\\x0dxyz"


def test_uuids_and_serials_are_masked():
    text = ("CUDA_VISIBLE_DEVICES=GPU-5d3c2a1b-1234-5678-9abc-def012345678,"
            "MIG-GPU-5d3c2a1b-1234-5678-9abc-def012345678/1/0\n"
            "MIG-4f1a2b3c-0000-1111-2222-333344445555\n"
            "    Serial Number                         : 1652823054567\n"
            "<serial>1652823054567</serial> GPU-5d3c2a1b")
    out = mask_ids(text)
    assert "5d3c2a1b" not in out and "4f1a2b3c" not in out and "1652823054567" not in out
    assert out.count("<masked>") == 6


def test_hostname_masked_only_as_a_whole_word():
    out = mask_ids("node42 ran on node42.cluster; node420 is other", ["node42"])
    assert out == "<host> ran on <host>.cluster; node420 is other"


def test_home_becomes_tilde_on_posix_and_windows():
    assert home_to_tilde("/home/alice/.venv/bin/python", "/home/alice") == "~/.venv/bin/python"
    assert home_to_tilde("/home/alicebob/x", "/home/alice") == "/home/alicebob/x"
    assert home_to_tilde(r"c:\users\Alice\env", r"C:\Users\Alice") == r"~\env"


def test_clean_does_all_three():
    out = clean("\x1b[31m/home/u/x GPU-5d3c2a1b-1234-5678-9abc-def012345678", [])
    assert "\x1b" not in out and "GPU-5d3c" not in out


def test_markdown_has_no_markup_and_code_cannot_be_closed():
    assert "\\[" in clean_markdown("[click](http://evil)") and "@\u200b" in clean_markdown("@maintainer")
    assert code_span("a`b") == "``a`b``"
    fenced = code_fence("x\n```\n# injected heading\n```")
    assert fenced.startswith("````\n") and fenced.endswith("\n````")


def test_strict_json_has_no_nan():
    data = strict_json({"a": float("nan"), "b": [float("inf"), 1.5], "c": "x"})
    assert json.dumps(data, allow_nan=False) == '{"a": null, "b": [null, 1.5], "c": "x"}'


def test_masks_are_case_insensitive_and_serials_are_masked_after_their_label():
    out = mask_ids("gpu-5D3C2A1B-1234-5678-9ABC-DEF012345678 board serial: 0324018046013, Serial=ABC123")
    assert "5D3C2A1B" not in out and "0324018046013" not in out and "ABC123" not in out
    assert home_to_tilde(r"C:\USERS\ALICE\env\x", r"C:\Users\Alice") == r"~\env\x"
    assert tilde(r"C:\USERS\ALICE\env", r"C:\Users\Alice") == r"~\env"


def test_a_gpu_name_carrying_its_uuid_is_masked_in_json_too():
    data = private_tree({"gpus": [{"name": "NVIDIA H200 (UUID: GPU-5d3c2a1b-1234-5678-9abc-def012345678)"}],
                         "n": 1})
    assert data == {"gpus": [{"name": "NVIDIA H200"}], "n": 1}


def test_another_machines_user_folder_is_masked_in_pasted_text():
    assert private(r"/home/alice/env/lib and C:\Users\Bob\AppData") == r"~/env/lib and ~\AppData"
