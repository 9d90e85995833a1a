import Foundation

/// Headless Chromium driven over the Chrome DevTools Protocol through `--remote-debugging-pipe` (commands as JSON
/// on the browser's fd 3, answers and events on its fd 4, each message ended by a NUL): a real browser, with no
/// WebDriver or Node in between. Used to test the verification page as an official's browser sees it.
final class HeadlessChromium: @unchecked Sendable {
    enum BrowserError: Error, CustomStringConvertible {
        case cannotStart(String)
        case timeout(String)
        case protocolError(String)
        var description: String {
            switch self {
            case .cannotStart(let why): "chromium did not start: \(why)"
            case .timeout(let what): "chromium: no answer to \(what)"
            case .protocolError(let what): "chromium: \(what)"
            }
        }
    }

    /// `chromium` (Debian), `chromium-browser` or `google-chrome` on PATH.
    static let executable: String? = {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for directory in path where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
                return "\(directory)/\(name)"
            }
        }
        return nil
    }()

    let pid: pid_t
    let commands: Int32
    let events: Int32
    let profile: String
    private var buffer: [UInt8] = []
    private var nextID = 0
    private var pending: [[String: Any]] = []

    init() throws {
        guard let executable = Self.executable else { throw BrowserError.cannotStart("not installed") }
        profile = NSTemporaryDirectory() + "podpis-chromium-" + UUID().uuidString
        var toBrowser: [Int32] = [0, 0]
        var fromBrowser: [Int32] = [0, 0]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else { throw BrowserError.cannotStart("no pipes") }
        // Only the dup2'ed copies (fds 3 and 4) go to the browser.
        for fd in toBrowser + fromBrowser { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toBrowser[0], 3)
        posix_spawn_file_actions_adddup2(&actions, fromBrowser[1], 4)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // --no-sandbox: the tests run as root in CI containers, where Chromium's sandbox cannot start.
        let arguments = [executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                         "--remote-debugging-pipe", "--user-data-dir=\(profile)", "--window-size=1100,900", "--lang=ru-RU", "about:blank"]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, nil, argv, environ)
        Glibc.close(toBrowser[0])
        Glibc.close(fromBrowser[1])
        guard status == 0 else {
            Glibc.close(toBrowser[1])
            Glibc.close(fromBrowser[0])
            throw BrowserError.cannotStart("posix_spawn: \(status)")
        }
        pid = child
        commands = toBrowser[1]
        events = fromBrowser[0]
    }

    private var quitted = false

    deinit { quit() }

    /// Closes the browser (and waits for it), removing its profile.
    func quit() {
        guard !quitted else { return }
        quitted = true
        _ = try? call("Browser.close", timeout: 5)
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(5)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            usleep(50_000)
        }
        Glibc.close(commands)
        Glibc.close(events)
        try? FileManager.default.removeItem(atPath: profile)
    }

    /// Sends a command (to the page `session` when given) and returns its result.
    @discardableResult
    func call(_ method: String, _ params: [String: Any] = [:], session: String? = nil, timeout: TimeInterval = 30) throws -> [String: Any] {
        nextID += 1
        let id = nextID
        var message: [String: Any] = ["id": id, "method": method, "params": params]
        if let session { message["sessionId"] = session }
        var data = [UInt8](try JSONSerialization.data(withJSONObject: message))
        data.append(0)
        var offset = 0
        while offset < data.count {
            let written = data[offset...].withUnsafeBytes { write(commands, $0.baseAddress, $0.count) }
            guard written > 0 else { throw BrowserError.protocolError("cannot send \(method)") }
            offset += written
        }
        let answer = try receive(timeout: timeout, what: method) { ($0["id"] as? Int) == id }
        if let error = answer["error"] { throw BrowserError.protocolError("\(method): \(error)") }
        return answer["result"] as? [String: Any] ?? [:]
    }

    /// Waits for an event (`Page.loadEventFired`) of `session`.
    @discardableResult
    func event(_ name: String, session: String, timeout: TimeInterval = 30) throws -> [String: Any] {
        try receive(timeout: timeout, what: name) { ($0["method"] as? String) == name && ($0["sessionId"] as? String) == session }
    }

    private func receive(timeout: TimeInterval, what: String, _ matches: ([String: Any]) -> Bool) throws -> [String: Any] {
        if let index = pending.firstIndex(where: matches) { return pending.remove(at: index) }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            while let end = buffer.firstIndex(of: 0) {
                let message = Array(buffer[..<end])
                buffer.removeSubrange(...end)
                guard let object = try? JSONSerialization.jsonObject(with: Data(message)) as? [String: Any] else { continue }
                if matches(object) { return object }
                pending.append(object)
            }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw BrowserError.timeout(what) }
            var poller = pollfd(fd: events, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(min(left, 1) * 1000)) >= 0 else { throw BrowserError.protocolError("poll failed") }
            guard poller.revents != 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let count = read(events, &chunk, chunk.count)
            guard count > 0 else { throw BrowserError.protocolError("the browser closed its pipe while waiting for \(what)") }
            buffer += chunk[..<count]
        }
    }

    // MARK: a page

    /// A new tab; returns its session id.
    func openPage(javaScript: Bool) throws -> String {
        let target = try call("Target.createTarget", ["url": "about:blank"])
        guard let targetID = target["targetId"] as? String,
              let session = try call("Target.attachToTarget", ["targetId": targetID, "flatten": true])["sessionId"] as? String
        else { throw BrowserError.protocolError("no page") }
        try call("Page.enable", session: session)
        try call("Emulation.setScriptExecutionDisabled", ["value": !javaScript], session: session)
        return session
    }

    func navigate(_ url: String, session: String) throws {
        try call("Page.navigate", ["url": url], session: session)
        try event("Page.loadEventFired", session: session)
    }

    func node(_ selector: String, session: String) throws -> Int {
        guard let root = (try call("DOM.getDocument", session: session)["root"] as? [String: Any])?["nodeId"] as? Int,
              let node = try call("DOM.querySelector", ["nodeId": root, "selector": selector], session: session)["nodeId"] as? Int, node != 0
        else { throw BrowserError.protocolError("no element \(selector)") }
        return node
    }

    /// Chooses files in an `<input type=file>`, as a user's file dialog would.
    func chooseFiles(_ selector: String, _ files: [String], session: String) throws {
        try call("DOM.setFileInputFiles", ["nodeId": try node(selector, session: session), "files": files], session: session)
    }

    /// Clicks the middle of an element with the mouse (no script involved) and waits for the next page to load.
    func click(_ selector: String, session: String) throws {
        let element = try node(selector, session: session)
        try call("DOM.scrollIntoViewIfNeeded", ["nodeId": element], session: session)
        guard let model = try call("DOM.getBoxModel", ["nodeId": element], session: session)["model"] as? [String: Any],
              let quad = model["content"] as? [Double], quad.count >= 8
        else { throw BrowserError.protocolError("\(selector) has no box") }
        let x = (quad[0] + quad[2]) / 2
        let y = (quad[1] + quad[5]) / 2
        for type in ["mousePressed", "mouseReleased"] {
            try call("Input.dispatchMouseEvent", ["type": type, "x": x, "y": y, "button": "left", "clickCount": 1], session: session)
        }
        try event("Page.loadEventFired", session: session)
    }

    /// The page's HTML as the browser holds it now.
    func html(session: String) throws -> String {
        guard let root = (try call("DOM.getDocument", session: session)["root"] as? [String: Any])?["nodeId"] as? Int,
              let html = try call("DOM.getOuterHTML", ["nodeId": root], session: session)["outerHTML"] as? String
        else { throw BrowserError.protocolError("no document") }
        return html
    }

    func screenshot(session: String) throws -> [UInt8] {
        guard let data = try call("Page.captureScreenshot", ["format": "png"], session: session)["data"] as? String,
              let bytes = Data(base64Encoded: data)
        else { throw BrowserError.protocolError("no screenshot") }
        return [UInt8](bytes)
    }
}
