# Sanctum MCP Python fork server (see fork-server.ts, which starts it and speaks its protocol).
#
# Run as: <python> fork_server.py <socket path> <python argv[0]>, with cwd '/', in its own process
# group. Standard library only, POSIX. Python 3.9+: it gives each script the absolute __file__ that
# 'python cli.py' gives since 3.9 (3.8 kept it relative; 3.7 lacks signal.valid_signals). Never edit
# it without running libs/executor/src/lib/fork-server.spec.ts; `nx run executor:lint-python`
# compiles and lints it.
#
# The parent pre-imports common modules, then loops on select(stdin, SIGCHLD wakeup fd): each
# request connects two stream sockets to the gateway and forks. The child makes itself look like
# `python cli.py ...` spawned by the gateway (own session and process group, default signal
# handlers, stdin /dev/null, stdout/stderr the sockets, cwd, exact environment, argv, __main__,
# sys.path[0], unbuffered UTF-8 stdio), runs the script at module level, then finalizes as the
# interpreter would (non-daemon threads, atexit, flush) and _exits. A call the warm copy cannot
# reproduce exactly (startup-relevant environment differs, or the plugin folder shadows a module
# imported here) execs a fresh interpreter in the prepared child instead.
#
# No module docstring: this module's dunder globals are the template of each child's __main__,
# and a script without a docstring has __doc__ None.
#
# Control protocol, one JSON object per line:
#   gateway -> server (stdin):   first {"env": {...}, "sandbox": null | {"isolate": bool, "cgroupFd":
#                                3 | null, "writable": [folders], "readable": [folders]}}, the
#                                environment this process was spawned with, whether calls are
#                                isolated (see _isolate) and the fd of the calls' pids cgroups;
#                                then {"id": n, "token": "<hex>", "cwd": "...", "argv0": "cli.py",
#                                "cgroup": "f7" | null, "offline": bool} per call
#   server -> gateway (stdout):  {"ready": true, "pid": p, "version": "3.x.y"}
#                                {"ready": false, "isolation": "why"}  calls cannot be isolated here
#                                {"id": n, "pid": p, "cold": bool}   the child is set up and runs the plugin
#                                {"id": n, "exit": code} | {"id": n, "signal": "SIGTERM"}
#                                {"id": n, "refused": "why"}         nothing of the plugin ran
# For each request the server connects twice to the gateway's Unix socket ("<token> stdout\n",
# "<token> stderr\n") and forks. The child reads its private payload (cwd, argv, env) from the
# stdout connection, written there by the gateway: argv and env never pass through this process,
# so no child can find another call's arguments or secrets in the memory it inherits. The script
# (cwd, argv0) is compiled here and cached while its file is unchanged, so children skip compiling.
# No threads anywhere: forking a threaded process is unsafe.
_MAIN_TEMPLATE = [(_k, _v) for _k, _v in globals().items() if _k.startswith('__') and _k.endswith('__')]

import sys
import os

_STARTUP_MODULES = frozenset(_m.partition('.')[0] for _m in sys.modules)
# os.environ after the interpreter's start-up, which may have changed it (PEP 538 locale coercion
# sets LC_CTYPE). Compared with the environment this process was spawned with (first control line),
# it gives what start-up does to an environment; a child applies the same to the call's environment.
_STARTUP_ENV = dict(os.environ)
_SPAWN_ENV = {}
_SOCKET_PATH = sys.argv[1]
_PYTHON_ARGV0 = sys.argv[2]
_SAFE_PATH = bool(getattr(sys.flags, 'safe_path', False) or sys.flags.isolated)
# 'python fork_server.py' puts this file's folder first on sys.path; the preloading below must not
# pick modules up from there, and each child puts its script's folder in that place instead.
if not _SAFE_PATH and sys.path and sys.path[0] == os.path.dirname(os.path.realpath(__file__)):
    del sys.path[0]

import signal

_STARTUP_SIGNALS = {}
for _n in signal.valid_signals():
    try:
        _STARTUP_SIGNALS[_n] = signal.getsignal(_n)
    except (OSError, ValueError):
        pass

import json
import select
import socket
import time

# Warm modules: imported once here, so that a plugin's 'import' of them costs nothing.
for _name in (
    'json', 'argparse', 're', 'time', 'datetime', 'urllib.request', 'urllib.error', 'urllib.parse',
    'http.client', 'ssl', 'socket', 'fcntl', 'tempfile', 'subprocess', 'pathlib', 'typing', 'io',
    'traceback', 'runpy', 'hashlib', 'base64', 'uuid', 'random', 'textwrap', 'shutil', 'signal',
    'select', 'errno', 'contextlib', '__future__', 'collections', 'functools', 'dataclasses', 'enum',
    'string', 'struct', 'copy', 'math', 'threading', 'atexit', 'importlib.machinery',
):
    try:
        __import__(_name)
    except Exception:
        pass

import atexit
import gc
import importlib.machinery
import io
import warnings

_MODULE_SUFFIXES = tuple(importlib.machinery.all_suffixes())
_SOURCE_LOADER = importlib.machinery.SourceFileLoader
# Variables the interpreter reads while it starts (or that modules imported here cache): a call
# whose environment differs in one of them runs in a fresh interpreter (exec), as a spawn would.
_STARTUP_VARIABLES = ('PYTHON', 'LC_')
_STARTUP_NAMES = ('LANG', 'TZ', 'HOME')

_PID = os.getpid()
_PPID = os.getppid()


def _pdeathsig():
    """Linux: SIGTERM (handled as a shutdown) when the gateway dies, even before our stdin closes."""
    if not sys.platform.startswith('linux'):
        return
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _write_all(fd, data):
    while data:
        try:
            n = os.write(fd, data)
        except InterruptedError:
            continue
        data = data[n:]


def _send(message):
    _write_all(1, (json.dumps(message, separators=(',', ':')) + '\n').encode('utf-8'))


def _signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return 'SIG%d' % number


# --- the parent -----------------------------------------------------------------------------

_children = {}   # pid -> request id
_starting = {}   # ready-pipe read fd -> [request id, pid, bytes read]


def _connect(token, kind):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(10.0)
        s.connect(_SOCKET_PATH)
        s.sendall(('%s %s\n' % (token, kind)).encode('ascii'))
        s.setblocking(True)  # the child's stdout/stderr must be blocking, like a pipe
        return s
    except BaseException:
        s.close()
        raise


_code_cache = {}  # absolute script path -> (stat key, code object)


def _compiled(cwd, argv0):
    """(path, code) of the script, compiled here once per version of the file; None when it cannot
    be (the child then reads and compiles it itself, with the errors and warnings a spawn shows)."""
    if not isinstance(cwd, str) or not isinstance(argv0, str):
        return None
    try:
        path = os.path.join(os.path.realpath(cwd), argv0)
        st = os.stat(path)
        key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        cached = _code_cache.get(path)
        if cached is not None and cached[0] == key:
            return path, cached[1]
        _code_cache.pop(path, None)
        with io.open_code(path) as f:
            source = f.read()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            code = compile(source, path, 'exec', dont_inherit=True)
        st = os.stat(path)
    except Exception:
        return None
    # A compile-time warning must reach the plugin's stderr, as it would from a fresh interpreter.
    if caught or key != (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns):
        return None
    _code_cache[path] = (key, code)
    return path, code


def _start(request):
    """Fork one call (or hand it to the spare). Returns the job in the child; None in the parent."""
    global _spare
    rid = request.get('id')
    token = request.get('token')
    if not isinstance(rid, int) or not isinstance(token, str):
        raise ValueError('bad request %r' % (request,))
    compiled = _compiled(request.get('cwd'), request.get('argv0'))
    if _spare is not None:
        pid, req_w, ready_r, name = _spare
        _spare = None
        try:
            _write_all(req_w, (json.dumps(request) + '\n').encode('utf-8'))
            os.close(req_w)
            _children[pid] = rid
            _starting[ready_r] = [rid, pid, b'', name]
            return _fork_spare()
        except OSError:
            # The spare is gone: fork as usual.
            for fd in (req_w, ready_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
    request['cgroup'] = _new_cgroup()
    out = err = None
    try:
        out = _connect(token, 'stdout')
        err = _connect(token, 'stderr')
        ready_r, ready_w = os.pipe()
    except OSError as e:
        for s in (out, err):
            if s is not None:
                s.close()
        _send({'id': rid, 'refused': 'cannot connect to the gateway: %s' % e})
        return None
    # Objects that exist now are never collected in a child: its collections do not touch (and so
    # copy) the pages of the preloaded modules.
    gc.freeze()
    try:
        pid = os.fork()
    except OSError as e:
        for fd in (ready_r, ready_w):
            os.close(fd)
        out.close()
        err.close()
        _send({'id': rid, 'refused': 'fork failed: %s' % e})
        return None
    if pid == 0:
        return (out.detach(), err.detach(), ready_r, ready_w, compiled, request)
    os.close(ready_w)
    out.close()
    err.close()
    os.set_blocking(ready_r, False)
    _children[pid] = rid
    _starting[ready_r] = [rid, pid, b'', request['cgroup']]
    return None


_spare = None    # [pid, request write fd, ready read fd, cgroup name] of the child forked ahead
_cgroup_count = 0


def _new_cgroup():
    """A new pids cgroup for a call under the gateway's (fd cgroupFd), or None without the limit.
    The gateway removes it when the call has ended (its name comes with the call's pid)."""
    global _cgroup_count
    if _SANDBOX is None or _SANDBOX.get('cgroupFd') is None:
        return None
    _cgroup_count += 1
    name = 'f%d-%d' % (_PID, _cgroup_count)
    os.mkdir(name, dir_fd=_SANDBOX['cgroupFd'])
    fd = os.open(name + '/pids.max', os.O_WRONLY, dir_fd=_SANDBOX['cgroupFd'])
    try:
        os.write(fd, str(_SANDBOX['maxTasks']).encode('ascii'))
    finally:
        os.close(fd)
    return name


def _fork_spare():
    """With the process limit: a child forked ahead of the next call, which joins that call's cgroup
    while it waits (moving a process into a cgroup v1 waits for an RCU grace period, 5 to 20 ms here,
    which this takes off the call's path). Returns the job in the spare once a call came; None in the
    parent and when there is no process limit."""
    global _spare
    if _spare is not None or _SANDBOX is None or _SANDBOX.get('cgroupFd') is None:
        return None
    try:
        name = _new_cgroup()
        req_r, req_w = os.pipe()
        ready_r, ready_w = os.pipe()
    except OSError:
        return None
    gc.freeze()
    try:
        pid = os.fork()
    except OSError:
        for fd in (req_r, req_w, ready_r, ready_w):
            os.close(fd)
        return None
    if pid != 0:
        os.close(req_r)
        os.close(ready_w)
        os.set_blocking(ready_r, False)
        _spare = [pid, req_w, ready_r, name]
        return None
    # The spare: into the cgroup, then wait for the call (end of input: the server is gone).
    os.close(req_w)
    os.close(ready_r)
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _join_cgroup(name)
        data = b''
        while not data.endswith(b'\n'):
            chunk = os.read(req_r, 65536)
            if not chunk:
                os._exit(0)
            data += chunk
        os.close(req_r)
        request = json.loads(data.decode('utf-8'))
        request['cgroup'] = None  # joined already
        compiled = _compiled(request.get('cwd'), request.get('argv0'))
        out = _connect(request['token'], 'stdout')
        err = _connect(request['token'], 'stderr')
    except BaseException as e:
        _write_all(ready_w, ('Ecannot start the call: %s: %s' % (type(e).__name__, e)).encode('utf-8', 'replace'))
        os._exit(127)
    return (out.detach(), err.detach(), -1, ready_w, compiled, request)


def _spare_died(pid):
    global _spare
    if _spare is not None and _spare[0] == pid:
        for fd in _spare[1:3]:
            try:
                os.close(fd)
            except OSError:
                pass
        _spare = None


def _read_ready(fd, final):
    """The child closes its end of the ready pipe once set up (after writing 'C' if it runs cold), or
    writes 'E' and a message when its setup failed. Returns True when this fd is done."""
    entry = _starting[fd]
    while True:
        try:
            chunk = os.read(fd, 4096)
        except BlockingIOError:
            if not final:
                return False
            chunk = b''
        if not chunk:
            break
        entry[2] += chunk
    del _starting[fd]
    os.close(fd)
    rid, pid, data, cgroup = entry
    if data.startswith(b'E'):
        _children.pop(pid, None)
        refused = {'id': rid, 'refused': data[1:].decode('utf-8', 'replace')}
        if cgroup is not None:
            refused['cgroup'] = cgroup
        _send(refused)
    else:
        started = {'id': rid, 'pid': pid, 'cold': data.startswith(b'C')}
        if cgroup is not None:
            started['cgroup'] = cgroup
        _send(started)
    return True


def _reap():
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        except InterruptedError:
            continue
        if pid == 0:
            return
        for fd, entry in list(_starting.items()):
            if entry[1] == pid:
                _read_ready(fd, True)
        rid = _children.pop(pid, None)
        if rid is None:
            _spare_died(pid)
            continue
        if os.WIFSIGNALED(status):
            _send({'id': rid, 'signal': _signal_name(os.WTERMSIG(status))})
        elif os.WIFEXITED(status):
            _send({'id': rid, 'exit': os.WEXITSTATUS(status)})


def _shutdown(*_signal_args):
    """stdin closed or SIGTERM (the gateway is gone or stopping): kill what still runs, remove the
    socket and its private folder, and leave."""
    if os.getpid() != _PID:
        os._exit(143)  # a child not yet set up: never act for the server
    for path, remove in ((_SOCKET_PATH, os.unlink), (os.path.dirname(_SOCKET_PATH), os.rmdir)):
        try:
            remove(path)
        except OSError:
            pass
    for pid in list(_children) + ([_spare[0]] if _spare is not None else []):
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, signal.SIGKILL)
            except OSError:
                pass
    os._exit(0)


def _serve():
    signal.signal(signal.SIGTERM, _shutdown)
    _pdeathsig()
    if os.getppid() != _PPID:
        _shutdown()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    pending = b''
    while b'\n' not in pending:
        data = os.read(0, 65536)
        if not data:
            _shutdown()
        pending += data
    line, pending = pending.split(b'\n', 1)
    first = json.loads(line)
    _SPAWN_ENV.update(first['env'])
    global _SANDBOX
    _SANDBOX = first.get('sandbox')
    if _SANDBOX is not None and _SANDBOX.get('isolate'):
        problem = _probe_isolation()
        if problem is not None:
            _send({'ready': False, 'isolation': problem})
            _shutdown()
    _send({'ready': True, 'pid': _PID, 'version': '%d.%d.%d' % sys.version_info[:3]})
    job = _fork_spare()
    if job is not None:
        return job
    while True:
        while b'\n' in pending:
            line, pending = pending.split(b'\n', 1)
            if line.strip():
                job = _start(json.loads(line))
                if job is None:
                    job = _fork_spare()
                if job is not None:
                    return job
        readable = select.select([0, wake_r] + list(_starting), [], [], 1.0)[0]
        if wake_r in readable:
            try:
                while os.read(wake_r, 512):
                    pass
            except BlockingIOError:
                pass
        for fd in readable:
            if fd in _starting:
                _read_ready(fd, False)
        _reap()
        if 0 in readable:
            data = os.read(0, 65536)
            if not data:
                _shutdown()
            pending += data
        if os.getppid() != _PPID:
            _shutdown()


# --- isolation of each call (the plugin sandbox) ------------------------------------------------
#
# When the gateway runs this server inside bubblewrap (sandbox non-null), each call's child C
# joins the call's pids cgroup, then enters new user, PID, mount, IPC and UTS namespaces (and a
# network namespace of its own when the plugin is offline) with unshare(2). Its child G is PID 1
# there: it mounts the namespace's own /proc and a private /tmp (the writable folders under /tmp
# bound back in), forks the plugin P and, as an init, reaps until P ends; then the kernel kills
# whatever P left behind (daemons included). P enters one more user and mount namespace, which
# locks G's mounts: the plugin cannot unmount them to see the host's /proc or the shared /tmp.
# C stays in the host's PID namespace, the process group leader the gateway signals: it ignores
# SIGTERM (P, in its process group, gets it) and ends as P ended, so the gateway reads P's status.

_SANDBOX = None
_LIBC = None
_CLONE_NEWNS = 0x00020000
_CLONE_NEWUTS = 0x04000000
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWNET = 0x40000000
_MS_NOSUID = 2
_MS_NODEV = 4
_MS_NOEXEC = 8
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4


def _libc():
    global _LIBC
    if _LIBC is None:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p)
        libc.unshare.argtypes = (ctypes.c_int,)
        libc.prctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)
        _LIBC = (libc, ctypes)
    return _LIBC


def _check(result, what):
    if result != 0:
        errno = _libc()[1].get_errno()
        raise OSError(errno, '%s: %s' % (what, os.strerror(errno)))


def _write_file(path, text):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode('ascii'))
    finally:
        os.close(fd)


def _enter_user_namespace(flags, uid, gid):
    """unshare(CLONE_NEWUSER | flags), the same uid and gid inside as outside."""
    libc = _libc()[0]
    _check(libc.unshare(_CLONE_NEWUSER | flags), 'unshare')
    _write_file('/proc/self/uid_map', '%d %d 1\n' % (uid, uid))
    _write_file('/proc/self/setgroups', 'deny')
    _write_file('/proc/self/gid_map', '%d %d 1\n' % (gid, gid))


def _die_with_parent():
    _check(_libc()[0].prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), 'prctl')


def _mount(source, target, fstype, flags, data=None):
    _check(_libc()[0].mount(source, target, fstype, flags, data), 'mount %s' % target.decode())


def _private_mounts(folders):
    """G's /proc (of its PID namespace), /dev/shm and /tmp (empty; the folders under /tmp that
    plugins read or write bound back in, as they were)."""
    _mount(None, b'/', None, _MS_REC | _MS_PRIVATE)
    _mount(b'proc', b'/proc', b'proc', _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    if os.path.isdir('/dev/shm'):
        _mount(b'tmpfs', b'/dev/shm', b'tmpfs', _MS_NOSUID | _MS_NODEV, b'mode=1777')
    keep = []
    for folder in folders:
        if folder.startswith('/tmp/'):
            keep.append((folder, os.open(folder, os.O_PATH | os.O_DIRECTORY)))
    _mount(b'tmpfs', b'/tmp', b'tmpfs', _MS_NOSUID | _MS_NODEV, b'mode=1777')
    for folder, fd in keep:
        os.makedirs(folder, exist_ok=True)
        _mount(('/proc/self/fd/%d' % fd).encode(), folder.encode(), None, _MS_BIND | _MS_REC)
        os.close(fd)


def _ended_as(status):
    """End this process as the one whose wait status this is (C, after P)."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)
        except (OSError, ValueError):
            pass
        os._exit(128 + number)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


_PASSED_ON = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def _keep_only(fd):
    """Close every descriptor but fd, stdin, stdout and stderr included (C and G hold nothing else)."""
    _close_other_fds((fd,))
    for std in (0, 1, 2):
        try:
            os.close(std)
        except OSError:
            pass


def _join_cgroup(cgroup):
    """Move this process (and so all it starts) into the call's pids cgroup, the process limit."""
    if cgroup is None or _SANDBOX.get('cgroupFd') is None:
        return
    fd = os.open(cgroup + '/cgroup.procs', os.O_WRONLY, dir_fd=_SANDBOX['cgroupFd'])
    try:
        os.write(fd, b'0')
    finally:
        os.close(fd)


def _isolate(cgroup, offline, ready_w):
    """Runs in C; returns only in P, in the call's own namespaces. Raises when they cannot be made."""
    _join_cgroup(cgroup)
    _die_with_parent()
    uid, gid = os.getuid(), os.getgid()
    flags = _CLONE_NEWPID | _CLONE_NEWNS | _CLONE_NEWIPC | _CLONE_NEWUTS | (_CLONE_NEWNET if offline else 0)
    _enter_user_namespace(flags, uid, gid)
    status_r, status_w = os.pipe()
    previous = dict((n, signal.getsignal(n)) for n in _PASSED_ON)
    for number in _PASSED_ON:
        signal.signal(number, signal.SIG_IGN)
    g = os.fork()
    if g != 0:
        # C: holds nothing of the call's; lives until G (and so P) ends, then ends as P did.
        _keep_only(status_r)
        while True:
            try:
                os.waitpid(g, 0)
                break
            except InterruptedError:
                continue
            except ChildProcessError:
                break
        data = b''
        try:
            data = os.read(status_r, 64)
        except OSError:
            pass
        _ended_as(int(data) if data.strip().isdigit() else (signal.SIGKILL & 0x7f))
    # G: PID 1 of the call's namespace. Not dumpable: the plugin (its child) can neither trace it nor
    # take its descriptors (pidfd_getfd) nor read its /proc entries; it keeps only the status pipe.
    os.close(status_r)
    try:
        _die_with_parent()
        _private_mounts(sorted(set((_SANDBOX.get('readable') or []) + (_SANDBOX.get('writable') or []))))
        _check(_libc()[0].prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0), 'prctl')
    except BaseException as e:
        _write_all(ready_w, ('E%s: %s' % (type(e).__name__, e)).encode('utf-8', 'replace'))
        os._exit(127)
    p = os.fork()
    if p != 0:
        _keep_only(status_w)
        while True:
            try:
                pid, status = os.wait()
            except InterruptedError:
                continue
            except ChildProcessError:
                os._exit(1)
            if pid == p:
                _write_all(status_w, str(status).encode('ascii'))
                os._exit(0)
    # P: the plugin (dumpable again, as a spawned process is). One more user and mount namespace
    # locks G's mounts for it.
    _check(_libc()[0].prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0), 'prctl')
    os.close(status_w)
    for number, handler in previous.items():
        signal.signal(number, handler)
    _enter_user_namespace(_CLONE_NEWNS, uid, gid)


def _probe_isolation():
    """None when a call can be isolated here (tried once, at start), else why not."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _isolate(None, False, w)
            os._exit(0 if os.listdir('/proc/self/fd') else 1)
        except BaseException as e:
            _write_all(w, ('%s: %s' % (type(e).__name__, e)).encode('utf-8', 'replace'))
            os._exit(1)
    os.close(w)
    message = b''
    while True:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        message += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if message or not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        return message.decode('utf-8', 'replace') or 'the isolated child exited with status %d' % status
    return None


# --- the child --------------------------------------------------------------------------------

class _Job(object):
    def __init__(self):
        self.path = None        # absolute script path, as __file__
        self.argv0 = None
        self.code = None        # compiled script
        self.globals = None
        self.status = None      # set when the script cannot run (cannot open it: 2)


def _close_other_fds(keep):
    try:
        fds = [int(n) for n in os.listdir('/proc/self/fd' if os.path.isdir('/proc/self/fd') else '/dev/fd')]
    except OSError:
        fds = range(3, 4096)
    for fd in fds:
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _read_payload(fd, timeout):
    """One JSON line: cwd, argv0, argv and env of this call."""
    deadline = time.monotonic() + timeout
    data = b''
    while not data.endswith(b'\n'):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise OSError('no call arrived from the gateway in time')
        try:
            chunk = os.read(fd, 65536)
        except (InterruptedError, BlockingIOError):
            continue
        if not chunk:
            raise OSError('the gateway closed the connection before sending the call')
        data += chunk
    return json.loads(data.decode('utf-8'))


def _std_stream(fd, name, template, write):
    """A fresh sys.std* over fd, built as CPython's create_stdio builds it at start-up (same
    encoding, errors, buffering and line buffering as this interpreter's own)."""
    buffered = not sys.__stdout__.write_through if sys.__stdout__ is not None else True
    buffering = 0 if (write and not buffered) else -1
    buf = io.open(fd, 'wb' if write else 'rb', buffering, closefd=False)
    raw = buf if buffering == 0 else buf.raw
    raw.name = name
    line_buffering = buffered and (raw.isatty() or fd == 2)
    encoding = getattr(template, 'encoding', None)
    errors = getattr(template, 'errors', None)
    stream = io.TextIOWrapper(buf, encoding, errors, '\n', line_buffering, not buffered)
    stream.mode = 'w' if write else 'r'
    return stream


def _startup_environment(env):
    """The call's environment as a fresh interpreter would have it once started, or None when
    start-up would differ from this interpreter's (then the call runs in a fresh interpreter)."""
    for name in set(env) | set(_SPAWN_ENV):
        if name.startswith(_STARTUP_VARIABLES) or name in _STARTUP_NAMES:
            if env.get(name) != _SPAWN_ENV.get(name):
                return None
    result = dict(env)
    for name in set(_SPAWN_ENV) | set(_STARTUP_ENV):
        if _SPAWN_ENV.get(name) != _STARTUP_ENV.get(name):
            if name in _STARTUP_ENV:
                result[name] = _STARTUP_ENV[name]
            else:
                result.pop(name, None)
    return result


def _cold_reason(folder):
    """Why this call cannot run in a warm copy of this interpreter (its environment being fine), or
    None. folder: what becomes sys.path[0]."""
    if folder is None:
        return None
    # A module file in the plugin folder shadows a standard module of the same name for a fresh
    # interpreter (the script's folder comes first on sys.path), but not one imported here already.
    warm = set(m.partition('.')[0] for m in sys.modules) - _STARTUP_MODULES
    try:
        entries = os.listdir(folder)
    except OSError:
        return None
    for entry in entries:
        for suffix in _MODULE_SUFFIXES:
            if entry.endswith(suffix) and entry[:-len(suffix)] in warm:
                return 'plugin folder shadows %s' % entry
        if entry in warm:
            for suffix in _MODULE_SUFFIXES:
                if os.path.isfile(os.path.join(folder, entry, '__init__' + suffix)):
                    return 'plugin folder shadows package %s' % entry
    return None


def _setup(fds):
    """Make this forked process look like 'python <argv0> <argv...>' spawned by the gateway."""
    out_fd, err_fd, ready_r, ready_w, compiled, request = fds
    job = _Job()
    try:
        os.setsid()
        if ready_r >= 0:
            os.close(ready_r)
        signal.set_wakeup_fd(-1)
        for number, handler in _STARTUP_SIGNALS.items():
            if handler is not None and signal.getsignal(number) is not handler:
                try:
                    signal.signal(number, handler)
                except (OSError, ValueError):
                    pass
        # The payload comes from the gateway, on the connection that becomes stdout.
        payload = _read_payload(out_fd, 10.0)
        cwd = payload['cwd']
        argv0 = payload['argv0']
        argv = [str(a) for a in payload['argv']]
        env = dict((str(k), str(v)) for k, v in payload['env'].items())
        null = os.open(os.devnull, os.O_RDONLY)
        if null != 0:
            os.dup2(null, 0)
            os.close(null)
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        for fd in (out_fd, err_fd):
            if fd > 2:
                os.close(fd)
        if _SANDBOX is not None:
            if os.getppid() != _PID:
                os._exit(127)  # the server died: the gateway has given up on this call
            if _SANDBOX.get('isolate'):
                _isolate(request.get('cgroup'), request.get('offline') is True, ready_w)
            else:
                _join_cgroup(request.get('cgroup'))
        _close_other_fds((ready_w,))
        os.chdir(cwd)
        # As the interpreter computes sys.path[0] for 'python argv0': the script's real folder.
        path0 = None if _SAFE_PATH else os.path.dirname(os.path.realpath(argv0))
        warm_env = _startup_environment(env)
        cold = 'environment' if warm_env is None else _cold_reason(path0)
        os.environ.clear()
        os.environ.update(env if cold is not None else warm_env)
    except BaseException as e:
        try:
            _write_all(ready_w, ('E%s: %s' % (type(e).__name__, e)).encode('utf-8', 'replace'))
        finally:
            os._exit(127)
    if _SANDBOX is None and os.getppid() != _PID:
        os._exit(127)  # the server died: the gateway has given up on this call
    if cold is not None:
        _write_all(ready_w, b'C')
    os.close(ready_w)

    sys.argv = [argv0] + argv
    if hasattr(sys, 'orig_argv'):
        sys.orig_argv = [_PYTHON_ARGV0, argv0] + argv
    if cold is not None:
        # As from the gateway's spawn, the fresh interpreter starts with every signal at its default
        # (exec keeps ignored ones ignored).
        for number in _STARTUP_SIGNALS:
            try:
                if signal.getsignal(number) is signal.SIG_IGN:
                    signal.signal(number, signal.SIG_DFL)
            except (OSError, ValueError):
                pass
        try:
            os.execv(_PYTHON_ARGV0, [_PYTHON_ARGV0, argv0] + argv)
        except OSError as e:
            os.write(2, ('%s: cannot start: %s\n' % (_PYTHON_ARGV0, e)).encode('utf-8', 'replace'))
            os._exit(127)

    sys.stdin = sys.__stdin__ = _std_stream(0, '<stdin>', sys.__stdin__, False)
    sys.stdout = sys.__stdout__ = _std_stream(1, '<stdout>', sys.__stdout__, True)
    sys.stderr = sys.__stderr__ = _std_stream(2, '<stderr>', sys.__stderr__, True)

    # As the interpreter does for 'python argv0': __file__ is the absolute path, sys.path[0] the
    # real folder of the script, and a fresh __main__ module.
    job.argv0 = argv0
    job.path = os.path.join(os.getcwd(), argv0)
    if path0 is not None:
        sys.path.insert(0, path0)
    main = type(sys)('__main__')
    for key, value in _MAIN_TEMPLATE:
        main.__dict__[key] = {} if key == '__annotations__' else value
    main.__dict__['__loader__'] = _SOURCE_LOADER('__main__', job.path)
    main.__dict__['__file__'] = job.path
    main.__dict__['__cached__'] = None
    sys.modules['__main__'] = main
    job.globals = main.__dict__
    if compiled is not None and compiled[0] == job.path:
        job.code = compiled[1]
        return job
    try:
        with io.open_code(job.path) as f:
            source = f.read()
    except OSError as e:
        sys.stderr.write("%s: can't open file %r: [Errno %d] %s\n" % (_PYTHON_ARGV0, job.path, e.errno, e.strerror))
        job.status = 2
        return job
    try:
        job.code = compile(source, job.path, 'exec', dont_inherit=True)
    except BaseException as e:
        job.status = _uncaught(e, e.__traceback__ and e.__traceback__.tb_next)
    return job


class _Unraisable(object):
    def __init__(self, exc, obj):
        self.exc_type = type(exc)
        self.exc_value = exc
        self.exc_traceback = exc.__traceback__
        self.err_msg = None
        self.object = obj


def _uncaught(e, tb):
    """What the interpreter does with an exception that ends the script: the exit status."""
    if isinstance(e, SystemExit):
        code = e.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code & 0xFF if -(1 << 63) <= code < (1 << 63) else 255
        try:
            if sys.stderr is not None:
                sys.stderr.write(str(code))
                sys.stderr.write('\n')
            else:
                os.write(2, (str(code) + '\n').encode('utf-8', 'backslashreplace'))
        except Exception:
            pass
        return 1
    e.__traceback__ = tb
    sys.last_type, sys.last_value, sys.last_traceback = type(e), e, tb
    if sys.version_info >= (3, 12):
        sys.last_exc = e
    hook = getattr(sys, 'excepthook', None)
    try:
        if hook is None:
            raise RuntimeError('lost sys.excepthook')
        hook(type(e), e, tb)
    except BaseException as hook_error:
        try:
            sys.stderr.write('Error in sys.excepthook:\n')
            sys.__excepthook__(type(hook_error), hook_error, hook_error.__traceback__)
            sys.stderr.write('\nOriginal exception was:\n')
            sys.__excepthook__(type(e), e, tb)
        except Exception:
            pass
    return 130 if isinstance(e, KeyboardInterrupt) else 1


def _finish(status, interrupted):
    """Py_FinalizeEx, as far as a plugin can tell: join non-daemon threads, run atexit callbacks,
    flush stdout and stderr (a failure makes the status 120), then exit without tearing down."""
    threading = sys.modules.get('threading')
    if threading is not None:
        try:
            threading._shutdown()
        except BaseException as e:
            try:
                sys.unraisablehook(_Unraisable(e, threading._shutdown))
            except BaseException:
                pass
    try:
        atexit._run_exitfuncs()
    except BaseException:
        pass
    for name in ('stdout', 'stderr'):
        stream = getattr(sys, name, None)
        if stream is None or getattr(stream, 'closed', False):
            continue
        try:
            stream.flush()
        except BaseException as e:
            status = 120
            if name == 'stdout':
                try:
                    sys.unraisablehook(_Unraisable(e, stream))
                except BaseException:
                    pass
    if interrupted:
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        except OSError:
            pass
    os._exit(status)


_job = _setup(_serve())
if _job.code is not None:
    try:
        exec(_job.code, _job.globals)
        _job.status = 0
    except BaseException as _error:
        _job.status = _uncaught(_error, _error.__traceback__ and _error.__traceback__.tb_next)
        _job.interrupted = isinstance(_error, KeyboardInterrupt)
        del _error
_finish(_job.status, getattr(_job, 'interrupted', False))
