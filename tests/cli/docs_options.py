#!/usr/bin/python3
"""The command line, its manual and docs/cli.md must agree.

For every command `signet --help` lists, the long options its --help shows
(the usage lines and the option list, and those of its verbs' --help) must
be exactly the options signet(1) describes for it (`.It Fl -x` items in its
`.Ss signet COMMAND` subsection), those of the command's own page if it has
one (signet-serve(8)), and the options docs/cli.md gives it (its synopsis
blocks and option tables under `## signet COMMAND`). Neither
document may describe a command signet does not have, and both must list
the same exit statuses.

  docs_options.py SIGNET SOURCE_DIR
"""
import re
import subprocess
import sys

# Commands with a page of their own, besides their entry in signet(1): the
# options that page describes (`.It Fl -x` anywhere in it) must be those of
# --help too.
OWN_PAGES = {"serve": "docs/man/signet-serve.8"}

OPT = re.compile(r"--[a-z][a-z0-9-]*")
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def run_help(signet, args):
    p = subprocess.run([signet] + args + ["--help"], capture_output=True,
                       text=True, check=False)
    if p.returncode != 0:
        fail("signet %s --help exits %d" % (" ".join(args), p.returncode))
    return p.stdout


def help_options(text):
    """Options in the usage block and in lines that start with an option:
    not those prose mentions (`signet show SERIAL --pem`)."""
    opts = set()
    in_usage = False
    for line in text.splitlines():
        if line.startswith("usage:"):
            in_usage = True
        elif not line.strip():
            in_usage = False
        if in_usage:
            opts |= set(OPT.findall(line))
        else:
            m = re.match(r"\s+(--[a-z][a-z0-9-]*)", line)
            if m:
                opts.add(m.group(1))
    opts.discard("--help")
    return opts


def commands(signet):
    out = run_help(signet, [])
    cmds, listing = [], False
    for line in out.splitlines():
        if line.startswith("commands:"):
            listing = True
        elif listing and not line.strip():
            break
        elif listing:
            cmds.append(line.split()[0])
    return cmds


def command_help_options(signet, cmd):
    text = run_help(signet, [cmd])
    opts = help_options(text)
    verbs = set(re.findall(r"signet %s ([a-z][a-z-]*)" % re.escape(cmd),
                           "\n".join(l for l in text.splitlines()
                                     if "signet " + cmd in l)))
    for verb in sorted(verbs):
        opts |= help_options(run_help(signet, [cmd, verb]))
    return opts


def man_sections(path):
    """{command: (items, all options)} from `.Ss signet COMMAND` blocks."""
    sections, cur = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith(".Sh "):
                cur = None
                continue
            m = re.match(r"\.Ss signet ([a-z][a-z-]*)\s*$", line)
            if m:
                cur = m.group(1)
                sections.setdefault(cur, (set(), set()))
                continue
            if cur is None:
                continue
            items, every = sections[cur]
            m = re.match(r"\.It Fl -([a-z][a-z0-9-]*)", line)
            if m:
                items.add("--" + m.group(1))
            for o in re.findall(r"\bFl -([a-z][a-z0-9-]*)", line):
                every.add("--" + o)
    return sections


def page_options(path):
    """(items, all options) of a page that is about one command."""
    items, every = set(), set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\.It Fl -([a-z][a-z0-9-]*)", line)
            if m:
                items.add("--" + m.group(1))
            for o in re.findall(r"\bFl -([a-z][a-z0-9-]*)", line):
                every.add("--" + o)
    return items, every


def man_exit_statuses(path):
    statuses, on = set(), False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith(".Sh "):
                on = line.strip() == ".Sh EXIT STATUS"
            elif on:
                m = re.match(r"\.It (\d+)\s*$", line)
                if m:
                    statuses.add(int(m.group(1)))
    return statuses


def md_sections(path):
    """{command: options} from the synopsis blocks and option tables under
    `## signet COMMAND ...`, and the exit statuses of its table."""
    sections, statuses = {}, set()
    cur, fence, in_exit = None, False, False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("```"):
                fence = not fence
                continue
            if not fence and line.startswith("## "):
                m = re.match(r"## signet ([a-z][a-z-]*)", line)
                cur = m.group(1) if m else None
                in_exit = line.strip() == "## Exit statuses"
                if cur is not None:
                    sections.setdefault(cur, set())
                continue
            if in_exit:
                m = re.match(r"\| (\d+) \|", line)
                if m:
                    statuses.add(int(m.group(1)))
            if cur is None:
                continue
            if fence:
                sections[cur] |= set(OPT.findall(line))
            else:
                m = re.match(r"\| `(--[a-z][a-z0-9-]*)", line)
                if m:
                    sections[cur].add(m.group(1))
    for opts in sections.values():
        opts.discard("--help")
    return sections, statuses


def compare(what, cmd, documented, actual):
    for o in sorted(actual - documented):
        fail("%s does not describe signet %s %s" % (what, cmd, o))
    for o in sorted(documented - actual):
        fail("%s describes signet %s %s, which --help does not list" %
             (what, cmd, o))


def compare_page(what, cmd, page, actual):
    """page: (its .It options, every option it names)."""
    items, every = page
    compare(what, cmd, items, actual)
    for o in sorted(every - items):
        fail("%s names signet %s %s but has no .It for it" % (what, cmd, o))


def main():
    signet, src = sys.argv[1], sys.argv[2]
    man_path = src + "/docs/man/signet.1"
    md_path = src + "/docs/cli.md"
    man = man_sections(man_path)
    md, md_status = md_sections(md_path)
    cmds = commands(signet)
    if len(cmds) < 2:
        fail("signet --help lists no commands")
    for cmd in cmds:
        actual = command_help_options(signet, cmd)
        if cmd in OWN_PAGES:
            page = OWN_PAGES[cmd]
            name = "%s(%s)" % (page.rsplit("/", 1)[1].rsplit(".", 1)[0],
                               page.rsplit(".", 1)[1])
            compare_page(name, cmd, page_options(src + "/" + page), actual)
        if cmd not in man:
            fail("signet(1) has no '.Ss signet %s'" % cmd)
        else:
            compare_page("signet(1)", cmd, man[cmd], actual)
        if cmd not in md:
            fail("docs/cli.md has no '## signet %s'" % cmd)
        else:
            compare("docs/cli.md", cmd, md[cmd], actual)
        print("ok: signet %s: %s" % (cmd, " ".join(sorted(actual))))
    for cmd in sorted(set(man) - set(cmds)):
        fail("signet(1) describes signet %s, which signet does not have" % cmd)
    for cmd in sorted(set(md) - set(cmds)):
        fail("docs/cli.md describes signet %s, which signet does not have" %
             cmd)
    man_status = man_exit_statuses(man_path)
    # signet(1) says 0 in prose and lists each failure status.
    if not md_status or man_status != md_status - {0}:
        fail("exit statuses: signet(1) has %s, docs/cli.md %s" %
             (sorted(man_status), sorted(md_status - {0})))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
