"""Deterministic synthetic Japanese expert profiles and issues for the benchmark (no real people).

Text is assembled from templates and domain vocabulary with a seeded RNG; random katakana product names give
the long tail of unknown words that real profiles have. Each text is 100-400 characters.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from . import vocabulary as voc
from .geo import PREFECTURES
from .records import ExpertRecord, IssueRecord

TECH = (
    "RPA",
    "AI-OCR",
    "ローコード開発",
    "ノーコード",
    "kintone",
    "クラウド",
    "SaaS",
    "GIS",
    "IoTセンサー",
    "ドローン",
    "UAV",
    "生成AI",
    "チャットボット",
    "LINE公式アカウント",
    "電子申請",
    "オンライン申請",
    "マイナンバーカード",
    "キャッシュレス決済",
    "データ分析",
    "BIツール",
    "データの可視化",
    "オープンデータ",
    "API連携",
    "ネットワーク構築",
    "セキュリティ対策",
    "ゼロトラスト",
    "ガバメントクラウド",
    "システム標準化",
    "LGWAN",
    "Microsoft 365",
    "Google Workspace",
    "テレワーク",
    "Web会議",
    "遠隔監視",
    "画像認識",
    "需要予測",
    "機械学習",
    "Python",
    "データベース設計",
    "要件定義",
    "業務フロー図",
    "BPR",
    "UI/UXデザイン",
    "アクセシビリティ",
    "ユーザー調査",
    "プロトタイピング",
    "アジャイル開発",
    "プロジェクト管理",
    "調達仕様書",
    "ベンダー選定",
    "PoC",
    "運用保守",
    "ヘルプデスク",
    "研修企画",
    "ファシリテーション",
    "デザイン思考",
    "EBPM",
    "人流データ",
    "GPS",
    "RTK-GNSS",
    "スマート農業",
    "スマート水産業",
    "デマンド交通",
    "MaaS",
    "観光DX",
    "電子図書館",
    "GIGAスクール",
    "遠隔医療",
    "オンライン診療",
    "見守りセンサー",
    "防災アプリ",
    "避難所管理",
    "罠センサー",
    "鳥獣被害対策",
    "書かない窓口",
    "ペーパーレス",
    "電子決裁",
    "文書管理システム",
    "ふるさと納税",
    "地域ポイント",
    "予約システム",
    "在庫管理",
)
FIELDS = (
    "農業",
    "水産業",
    "漁業",
    "観光",
    "商工",
    "福祉",
    "介護",
    "子育て支援",
    "教育",
    "学校",
    "図書館",
    "防災",
    "消防",
    "上下水道",
    "道路管理",
    "公共交通",
    "医療",
    "保健",
    "税務",
    "住民窓口",
    "財政",
    "人事",
    "広報",
    "移住定住",
    "地域コミュニティ",
    "文化財",
    "スポーツ振興",
    "環境",
    "ごみ収集",
    "林業",
    "畜産",
    "酪農",
    "港湾",
    "空き家対策",
)
PLACES = (
    "札幌市",
    "旭川市",
    "函館市",
    "釧路市",
    "帯広市",
    "北見市",
    "小樽市",
    "室蘭市",
    "苫小牧市",
    "稚内市",
    "根室市",
    "青森市",
    "八戸市",
    "盛岡市",
    "仙台市",
    "秋田市",
    "山形市",
    "福島市",
    "郡山市",
    "水戸市",
    "宇都宮市",
    "前橋市",
    "さいたま市",
    "千葉市",
    "新宿区",
    "横浜市",
    "新潟市",
    "富山市",
    "金沢市",
    "福井市",
    "甲府市",
    "長野市",
    "岐阜市",
    "静岡市",
    "名古屋市",
    "津市",
    "大津市",
    "京都市",
    "大阪市",
    "神戸市",
    "奈良市",
    "和歌山市",
    "鳥取市",
    "松江市",
    "岡山市",
    "広島市",
    "山口市",
    "徳島市",
    "高松市",
    "松山市",
    "高知市",
    "福岡市",
    "佐賀市",
    "長崎市",
    "熊本市",
    "大分市",
    "宮崎市",
    "鹿児島市",
    "那覇市",
    "ニセコ町",
    "美瑛町",
    "中標津町",
    "厚岸町",
    "浜中町",
    "奥尻町",
)
ORGS = (
    "市役所",
    "町役場",
    "村役場",
    "県庁",
    "SIer",
    "コンサルティング会社",
    "ITベンダー",
    "スタートアップ",
    "NPO法人",
    "大学",
    "地方銀行",
    "通信会社",
    "JA",
    "漁協",
    "観光協会",
    "商工会",
    "社会福祉協議会",
)
GOALS = (
    "業務の効率化",
    "住民サービスの向上",
    "職員の負担軽減",
    "データに基づく意思決定",
    "窓口の待ち時間短縮",
    "紙の削減",
    "人手不足の解消",
    "観光客の満足度向上",
    "担い手の確保",
    "費用の削減",
    "情報共有の迅速化",
    "災害時の情報伝達",
    "高齢者の見守り",
    "収益の向上",
    "作業時間の短縮",
    "問い合わせ対応の自動化",
)
PROBLEMS = (
    "職員が足りない",
    "紙の申請書が多い",
    "データがばらばらに管理されている",
    "問い合わせが集中している",
    "システムが古く保守費用がかさむ",
    "担当者が異動すると引き継ぎができない",
    "現場の状況が把握できない",
    "高齢化で担い手が減っている",
    "観光客の動きが分からない",
    "夜間の対応ができない",
    "入力作業が二重になっている",
    "被害の状況をすぐに集計できない",
    "住民に情報が届かない",
    "ベンダー任せで中身が分からない",
)
CERTS = (
    "応用情報技術者",
    "プロジェクトマネージャ試験",
    "ITストラテジスト",
    "情報処理安全確保支援士",
    "中小企業診断士",
    "ITコーディネータ",
    "基本情報技術者",
    "PMP",
    "技術士",
    "データベーススペシャリスト",
)
_KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワンガギグゲゴザジズゼゾダデドバビブベボパピプペポ"

EXPERT_TEMPLATES = (
    "{place}の{org}で{n}年間、{tech}と{tech2}を担当しました。",
    "{field}分野での{tech}の導入支援の経験があります。",
    "{tech}を活用した{goal}に取り組んできました。",
    "前職の{org}では{field}向けの{tech}を{n}年ほど手がけています。",
    "{product}の導入や{tech}による{goal}が得意です。",
    "{cert}の資格を持っています。",
    "{place}を拠点に、{field}の現場に伺って{tech2}の相談に乗ります。",
    "最近は{tech}と{tech2}を組み合わせた{goal}の支援をしています。",
    "{org}に{n}年勤め、{field}の業務改善を進めました。",
    "{tech}の要件整理からベンダーとの調整まで一通り経験しています。",
    "{place}で{field}担当の職員の方々と{goal}を目指した実証を行いました。",
    "{tech2}について、小さな町でも続けられる運用を重視しています。",
    "{field}の{problem}という声を受け、{tech}で仕組みを作り直しました。",
    "{cert}として、{org}の計画づくりに関わっています。",
    "趣味は{hobby}で、休日は{place}周辺に出かけます。",
    "得意分野は{tech}、{tech2}、{field}です。",
    "{n}件以上の自治体案件で{tech}の導入を支えてきました。",
    "オンラインでの打合せにも慣れており、{tech2}の画面共有で説明します。",
    "{product}という{field}向けサービスの立ち上げに参画しました。",
    "住民の目線で{goal}を考えることを大切にしています。",
)
ISSUE_TEMPLATES = (
    "{place}では{field}の分野で{problem}という課題がある。",
    "{tech}を使って{goal}を実現したい。",
    "{field}の現場では{problem}。",
    "{org}の担当は{n}名と少なく、{tech2}の検討に手が回らない。",
    "{product}を試したが定着せず、{goal}につながっていない。",
    "まずは{tech}で小さく始め、将来は{tech2}との連携も考えている。",
    "令和{n}年度に{field}の{tech}導入を予定しているが、進め方が分からない。",
    "{problem}ため、{goal}が急務となっている。",
    "{place}と連携して{tech}を共同で導入できないか検討している。",
    "庁内に{tech2}に詳しい職員がおらず、外部の知見を借りたい。",
    "{field}担当課と情報政策担当が一緒に{goal}に取り組みたい。",
    "月に一度程度、現地で助言をいただける方を探している。",
)
HOBBIES = ("登山", "釣り", "写真", "スキー", "読書", "料理", "キャンプ", "サイクリング", "温泉めぐり", "将棋")


def _product(rng: random.Random) -> str:
    return "".join(rng.choice(_KANA) for _ in range(rng.randint(3, 6)))


def _sentence(rng: random.Random, template: str) -> str:
    return template.format(
        place=rng.choice(PLACES),
        org=rng.choice(ORGS),
        n=rng.randint(2, 20),
        tech=rng.choice(TECH),
        tech2=rng.choice(TECH),
        field=rng.choice(FIELDS),
        goal=rng.choice(GOALS),
        problem=rng.choice(PROBLEMS),
        cert=rng.choice(CERTS),
        product=_product(rng),
        hobby=rng.choice(HOBBIES),
    )


def _text(rng: random.Random, templates: Sequence[str]) -> str:
    target = rng.randint(100, 400)
    text = ""
    while len(text) < target:
        text += _sentence(rng, rng.choice(templates))
    return text[:400] if len(text) > 400 else text


def _place(rng: random.Random) -> tuple[str, float, float]:
    pref = rng.choice(list(PREFECTURES.values()))
    return pref.code, pref.lat + rng.uniform(-0.4, 0.4), pref.lon + rng.uniform(-0.4, 0.4)


def experts(n: int, seed: int = 0) -> list[ExpertRecord]:
    """Return ``n`` synthetic experts (deterministic for a seed)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        pref, lat, lon = _place(rng)
        out.append(
            ExpertRecord(
                f"ex{i:06d}",
                _text(rng, EXPERT_TEMPLATES),
                tuple(rng.sample(list(voc.ROLES), rng.randint(1, 2))),
                tuple(rng.sample(list(voc.SECTORS), rng.randint(1, 3))),
                tuple(rng.sample(list(voc.MODES), rng.randint(1, 3))),
                pref,
                lat,
                lon,
                rng.choice(list(voc.TRAVEL_RANGES)),
                rng.randint(0, 4),
            )
        )
    return out


def issues(n: int, seed: int = 1) -> list[IssueRecord]:
    """Return ``n`` synthetic issues (deterministic for a seed)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        pref, lat, lon = _place(rng)
        out.append(
            IssueRecord(
                f"is{i:06d}",
                _text(rng, ISSUE_TEMPLATES),
                rng.choice(list(voc.SECTORS)),
                tuple(rng.sample(list(voc.ROLES), rng.randint(0, 2))),
                rng.choice(list(voc.STAGES)),
                rng.choice(list(voc.MODES)),
                pref,
                lat,
                lon,
                f"{pref}{rng.randint(100, 999)}",
            )
        )
    return out
