import EvidenceModel
import Foundation
import PolicyEngine

/// Geometry of the chain picture (signer → issuing CA → root). The template draws it; this computes where.
struct ChainPicture {
    struct Node {
        let x: Int, y: Int, width: Int, height: Int
        /// Baselines of the four text lines.
        let line1: Int, line2: Int, line3: Int, line4: Int
        let textX: Int
        let role: String
        let name: String
        let validity: String
        let revocation: String
        /// `ok`, `bad`, `warn`, `neutral`, `missing`.
        let css: String
    }

    struct Arrow {
        let x: Int, y1: Int, y2: Int
        let headLeft: Int, headRight: Int, headTop: Int
        let labelX: Int, labelY: Int
        let label: String
    }

    let width: Int
    let height: Int
    let nodes: [Node]
    let arrows: [Arrow]
    let empty: String?
    let label: String

    static let boxWidth = 600, boxHeight = 78, gap = 34, margin = 10

    init(signature: SignatureReport, signer: SignerEvidence?, evidence: Evidence?, text: Labels) {
        struct Item { let role: String; let name: String; let validity: String; let revocation: String; let css: String }
        var items: [Item] = []
        let chain = signer?.chains.first { $0.purpose == .validationTime } ?? signer?.chains.first
        if let chain, let evidence, !chain.path.isEmpty {
            for (depth, element) in chain.path.enumerated() {
                guard let certificate = evidence.certificates[element.certificate] else { continue }
                let isTop = depth == chain.path.count - 1
                let role = depth == 0 ? text["role-signer"] : (isTop && chain.reachesTrustAnchor ? text["role-root"] : text["role-ca"])
                let revocation = Self.revocationText(element.revocation, text: text)
                let css: String
                if element.revocation.status == .revoked || !chain.issues(atDepth: depth).isEmpty {
                    css = "bad"
                } else if element.revocation.status == .unknown {
                    css = "warn"
                } else {
                    css = element.revocation.status == .notApplicable ? "neutral" : "ok"
                }
                items.append(Item(
                    role: role, name: Self.clip(certificate.displayName, 72),
                    validity: text.catalogue.text("report.period", ["from": DateText.day(certificate.notBefore), "until": DateText.day(certificate.notAfter)]),
                    revocation: revocation, css: css))
            }
            if !chain.reachesTrustAnchor {
                items.append(Item(role: text["role-root"], name: text["no-anchor"], validity: "", revocation: "", css: "missing"))
            }
        } else if let summary = signature.signer {
            items.append(Item(
                role: text["role-signer"], name: Self.clip(summary.name, 72),
                validity: text.catalogue.text("report.period", ["from": DateText.day(summary.notBefore), "until": DateText.day(summary.notAfter)]),
                revocation: "", css: "neutral"))
        }
        var nodes: [Node] = []
        var arrows: [Arrow] = []
        for (index, item) in items.enumerated() {
            let y = Self.margin + index * (Self.boxHeight + Self.gap)
            nodes.append(Node(
                x: Self.margin, y: y, width: Self.boxWidth, height: Self.boxHeight,
                line1: y + 19, line2: y + 38, line3: y + 55, line4: y + 71, textX: Self.margin + 12,
                role: item.role, name: item.name, validity: item.validity, revocation: item.revocation, css: item.css))
            if index > 0 {
                let x = Self.margin + 60
                let top = y - Self.gap + 2
                arrows.append(Arrow(
                    x: x, y1: top, y2: y - 8, headLeft: x - 6, headRight: x + 6, headTop: y - 9,
                    labelX: x + 14, labelY: top + Self.gap / 2 + 3, label: text["issued-by"]))
            }
        }
        self.nodes = nodes
        self.arrows = arrows
        self.width = Self.boxWidth + 2 * Self.margin
        self.height = max(1, items.count) * (Self.boxHeight + Self.gap) - Self.gap + 2 * Self.margin
        self.empty = items.isEmpty ? text["no-chain"] : nil
        self.label = text["chain"]
    }

    static func revocationText(_ revocation: RevocationEvidence, text: Labels) -> String {
        switch revocation.status {
        case .good:
            return text.catalogue.text("report.revocation-good", ["source": (revocation.source?.rawValue ?? "").uppercased()])
        case .revoked:
            var line = text.catalogue.text("report.revocation-revoked", ["date": revocation.revocationTime.map(DateText.full) ?? "—"])
            if let reason = revocation.reason { line += " (\(reason))" }
            return line
        case .unknown:
            return text["revocation-unknown"]
        case .notApplicable:
            return text["revocation-na"]
        }
    }

    static func clip(_ text: String, _ length: Int) -> String {
        text.count > length ? String(text.prefix(length - 1)) + "…" : text
    }
}

/// Geometry of the timeline: certificate validity bars, and one lane per event (claimed signing time, timestamps,
/// revocations, validation time) with a vertical line through the bars, so the order of events is visible at a glance.
struct TimelinePicture {
    struct Bar {
        let labelY: Int
        let y: Int, height: Int
        let x: Int, width: Int
        let role: String
        let text: String
        let textX: Int, textY: Int
        let showText: Bool
        let revokedX: Int, revokedWidth: Int
        let revoked: Bool
    }

    struct Event {
        let x: Int
        let top: Int
        let y: Int
        let textX: Int
        /// `start` or `end`: the label sits right or left of the marker.
        let anchor: String
        let label: String
        /// `claimed`, `timestamp`, `timestamp-bad`, `revoked`, `validation`.
        let css: String
    }

    let width: Int
    let height: Int
    let plotLeft: Int, plotRight: Int
    let axisY: Int
    let bars: [Bar]
    let events: [Event]
    let startLabel: String
    let endLabel: String
    let axisLabelY: Int
    let note: String
    let label: String

    static let width = 760, plotLeft = 235, plotRight = 748, barHeight = 16, rowHeight = 28, laneHeight = 22

    init?(signature: SignatureReport, signer: SignerEvidence?, evidence: Evidence?, validationTime: Date, text: Labels) {
        struct Window { let role: String; let from: Date; let until: Date; let revokedAt: Date? }
        struct Moment { let time: Date; let label: String; let css: String }
        var windows: [Window] = []
        var moments: [Moment] = []
        let chain = signer?.chains.first { $0.purpose == .validationTime } ?? signer?.chains.first
        if let chain, let evidence {
            for (depth, element) in chain.path.enumerated() {
                guard let certificate = evidence.certificates[element.certificate] else { continue }
                let isTop = depth == chain.path.count - 1
                let role = depth == 0 ? text["timeline-signer"] : (isTop && chain.reachesTrustAnchor ? text["timeline-root"] : text["timeline-ca"])
                let revokedAt = element.revocation.status == .revoked ? element.revocation.revocationTime : nil
                windows.append(Window(role: role, from: certificate.notBefore, until: certificate.notAfter, revokedAt: revokedAt))
                if let revokedAt {
                    moments.append(Moment(
                        time: revokedAt,
                        label: text.catalogue.text("report.event-revoked", ["subject": ChainPicture.clip(certificate.displayName, 40), "time": DateText.full(revokedAt)]),
                        css: "revoked"))
                }
            }
        } else if let summary = signature.signer {
            windows.append(Window(role: text["timeline-signer"], from: summary.notBefore, until: summary.notAfter, revokedAt: nil))
        }
        if let claimed = signature.claimedSigningTime {
            moments.append(Moment(time: claimed, label: text.catalogue.text("report.event-claimed", ["time": DateText.full(claimed)]), css: "claimed"))
        }
        for stamp in signature.timestamps {
            let valid = stamp.indication == .passed
            moments.append(Moment(
                time: stamp.genTime,
                label: text.catalogue.text(valid ? "report.event-timestamp" : "report.event-timestamp-invalid", ["time": DateText.full(stamp.genTime)]),
                css: valid ? "timestamp" : "timestamp-bad"))
        }
        moments.append(Moment(time: validationTime, label: text.catalogue.text("report.event-validation", ["time": DateText.full(validationTime)]), css: "validation"))
        moments.sort { $0.time < $1.time }
        guard !windows.isEmpty else { return nil }

        // The axis spans the signer's certificate and every event; CA and root bars are cut at its ends.
        let signerWindow = windows[0]
        var low = signerWindow.from, high = signerWindow.until
        for moment in moments {
            low = min(low, moment.time)
            high = max(high, moment.time)
        }
        let pad = max(high.timeIntervalSince(low) * 0.04, 3600)
        low = low.addingTimeInterval(-pad)
        high = high.addingTimeInterval(pad)
        let span = high.timeIntervalSince(low)
        func x(_ date: Date) -> Int {
            let fraction = min(1, max(0, date.timeIntervalSince(low) / span))
            return Self.plotLeft + Int((Double(Self.plotRight - Self.plotLeft) * fraction).rounded())
        }

        let top = 12
        var bars: [Bar] = []
        for (index, window) in windows.enumerated() {
            let y = top + index * Self.rowHeight
            let left = x(window.from), right = x(window.until)
            let width = max(2, right - left)
            let revokedLeft = window.revokedAt.map(x) ?? right
            bars.append(Bar(
                labelY: y + Self.barHeight - 3, y: y, height: Self.barHeight, x: left, width: width, role: window.role,
                text: "\(DateText.day(window.from)) – \(DateText.day(window.until))",
                textX: left + width / 2, textY: y + Self.barHeight - 4, showText: width > 190,
                revokedX: revokedLeft, revokedWidth: max(0, right - revokedLeft), revoked: window.revokedAt != nil))
        }
        let axisY = top + windows.count * Self.rowHeight + 4
        var events: [Event] = []
        for (index, moment) in moments.enumerated() {
            let position = x(moment.time)
            let lane = axisY + 34 + index * Self.laneHeight
            let leftSide = position > (Self.plotLeft + Self.plotRight) / 2
            events.append(Event(
                x: position, top: top - 4, y: lane, textX: leftSide ? position - 9 : position + 9,
                anchor: leftSide ? "end" : "start", label: moment.label, css: moment.css))
        }
        self.width = Self.width
        self.height = axisY + 34 + moments.count * Self.laneHeight + 4
        self.plotLeft = Self.plotLeft
        self.plotRight = Self.plotRight
        self.axisY = axisY
        self.axisLabelY = axisY + 16
        self.bars = bars
        self.events = events
        self.startLabel = DateText.day(low)
        self.endLabel = DateText.day(high)
        self.note = text["timeline-note"]
        self.label = text["timeline"]
    }
}
