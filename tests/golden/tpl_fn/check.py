#!/usr/bin/env python3
"""Confirms helm_funcs.txt with the real helm: every listed name parses as
a function in a template, and env/expandenv/md5sum do not (Helm removes
or never had them). Run: python3 check.py [HELM]"""
import os, subprocess, sys, tempfile
helm = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser('~/.cache/kdeploy-tools/helm')
here = os.path.dirname(os.path.abspath(__file__))
names = [l.split()[0] for l in open(os.path.join(here, 'helm_funcs.txt')) if l.strip() and not l.startswith('#')]
def defined(name):
    with tempfile.TemporaryDirectory() as d:
        os.mkdir(os.path.join(d, 'templates'))
        open(os.path.join(d, 'Chart.yaml'), 'w').write('apiVersion: v2\nname: c\nversion: 0.1.0\n')
        open(os.path.join(d, 'templates', 't.yaml'), 'w').write('{{ if false }}{{ %s }}{{ end }}' % name)
        p = subprocess.run([helm, 'template', 'x', d], capture_output=True, text=True)
        return 'not defined' not in p.stderr
bad = [n for n in names if not defined(n)] + [n for n in ('env', 'expandenv', 'md5sum') if defined(n)]
print('checked %d names; wrong: %s' % (len(names), bad or 'none'))
sys.exit(1 if bad else 0)
