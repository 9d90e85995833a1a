import Foundation

/// A TCP listener on loopback that accepts every connection and never answers (the issue's «listener that never
/// answers»): it counts the connections it was offered. Stopped (every socket closed) by `stop()` or deinit.
final class BlackHole: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var accepted: [Int32] = []
    private var stopped = false

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 128) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in
            while true {
                let fd = accept(listener, nil, nil)
                if fd < 0 { return }
                lock.lock()
                if stopped {
                    lock.unlock()
                    close(fd)
                    return
                }
                accepted.append(fd)
                lock.unlock()
            }
        }
        thread.start()
    }

    /// Connections accepted so far.
    var connections: Int {
        lock.lock()
        defer { lock.unlock() }
        return accepted.count
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func stop() {
        lock.lock()
        let open = accepted
        let already = stopped
        stopped = true
        accepted = []
        lock.unlock()
        guard !already else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in open { close(fd) }
    }

    deinit { stop() }
}

/// A TCP proxy the test controls, in front of PostgreSQL: `down()` closes every connection through it and refuses
/// new ones (as a stopped database would), `up()` forwards again. Python (threads and sockets), started per test.
final class ControlledProxy: @unchecked Sendable {
    static let script = """
        import socket, sys, threading, signal, os
        target_host, target_port = sys.argv[1], int(sys.argv[2])
        state = {'up': True, 'conns': [], 'listener': None}
        lock = threading.Lock()
        def pipe(a, b):
            try:
                while True:
                    data = a.recv(65536)
                    if not data: break
                    b.sendall(data)
            except OSError:
                pass
            for s in (a, b):
                try: s.shutdown(socket.SHUT_RDWR)
                except OSError: pass
                try: s.close()
                except OSError: pass
        def listen(port):
            l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            l.bind(('127.0.0.1', port)); l.listen(128)
            return l
        def serve(l):
            while True:
                try: c, _ = l.accept()
                except OSError: return
                with lock:
                    if not state['up']:
                        c.close(); continue
                try: u = socket.create_connection((target_host, target_port))
                except OSError:
                    c.close(); continue
                with lock: state['conns'] += [c, u]
                threading.Thread(target=pipe, args=(c, u), daemon=True).start()
                threading.Thread(target=pipe, args=(u, c), daemon=True).start()
        l = listen(0)
        port = l.getsockname()[1]
        state['listener'] = l
        threading.Thread(target=serve, args=(l,), daemon=True).start()
        def down(*_):
            with lock:
                state['up'] = False
                conns, state['conns'] = state['conns'], []
                l = state['listener']; state['listener'] = None
            if l is not None:
                try: l.close()
                except OSError: pass
            for s in conns:
                try: s.shutdown(socket.SHUT_RDWR)
                except OSError: pass
                try: s.close()
                except OSError: pass
            print('down', flush=True)
        def up(*_):
            l = listen(port)
            with lock:
                state['up'] = True; state['listener'] = l
            threading.Thread(target=serve, args=(l,), daemon=True).start()
            print('up', flush=True)
        signal.signal(signal.SIGUSR1, down)
        signal.signal(signal.SIGUSR2, up)
        # A child of the test process may inherit a signal mask that blocks these.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGUSR1, signal.SIGUSR2])
        print('listening on 127.0.0.1:%d' % port, flush=True)
        while True: signal.pause()
        """

    let server: BackgroundServer
    let port: Int

    init(folder: TemporaryFolder, targetHost: String, targetPort: Int) throws {
        let path = try folder.write("proxy.py", Array(Self.script.utf8))
        server = try BackgroundServer("/usr/bin/env", ["python3", path, targetHost, "\(targetPort)"])
        guard let port = Int(server.url.split(separator: ":").last ?? "") else { throw BackgroundServer.ServerError.didNotStart(["proxy"]) }
        self.port = port
    }

    func down() {
        kill(server.process.processIdentifier, SIGUSR1)
        Thread.sleep(forTimeInterval: 0.3)
    }

    func up() {
        kill(server.process.processIdentifier, SIGUSR2)
        Thread.sleep(forTimeInterval: 0.3)
    }

    func stop() { server.stop() }
}
