"""Tune and check the zero-shot IPTC top-level tagger.

Accuracy is top-1 over all 17 topics on the BBC encodings cached by `bench/cache_bbc.py`, with
BBC's five categories mapped to IPTC codes (`bench/bbc.BBC_TO_IPTC`). Nothing is trained on BBC:
the label descriptions are generic news sentences, and only the dev split is used for choices.

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.tune_tagger                 # dev grid + sanity checks
    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.tune_tagger --split test    # the configured setting only
    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.tune_tagger --reuters 40    # + Reuters-21578 business check

The sanity checks run hand-written articles of every topic (and the seed article) through the
engine's prepare/encode/document-vector path and the configured tagger: each topic must win its
own articles, and the seed must rank conflict in the top 2 and politics in the top 3.
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import sys
from pathlib import Path

import numpy as np

from bench.bbc import BBC_TO_IPTC, SHARED
from service.analyzer import Analyzer
from service.config import TaggerConfig, load_engine_config
from service.schemas import AnalyzeRequest
from service.settings import DEFAULT_CONFIG
from service.tagger import ZeroShotTagger, offset_vector
from service.taxonomy import load_taxonomy

OUT = Path(__file__).resolve().parent / "out"
SEED = Path(__file__).resolve().parent.parent / "seeds" / "iraq-coalition-security-partnership.txt"
CONFLICT, POLITICS, ECONOMY = "medtop:16000000", "medtop:11000000", "medtop:04000000"
REUTERS_BUSINESS = ["acq", "money-fx", "interest", "trade", "crude"]

# Hand-written (title, body) news items, three per topic, in the styles of different publishers.
SNIPPETS: dict[str, list[tuple[str, str]]] = {
    "medtop:01000000": [
        ("Studio's superhero sequel breaks records",
         "The superhero sequel earned $180 million in its first three days in North American cinemas, "
         "the biggest opening of the year. Critics praised the lead actor's performance, and the studio "
         "has already announced a third instalment."),
        ("Veteran songwriter returns with first album in a decade",
         "The singer-songwriter will play twelve arena dates next spring to promote the record, which "
         "features duets with younger artists. Tickets sold out within an hour."),
        ("Streaming service renews hit drama for fourth season",
         "The series, which follows a family running a restaurant, was the platform's most-watched show "
         "last year. Its creator said filming would begin in the autumn with most of the original cast "
         "returning."),
    ],
    "medtop:16000000": [
        ("Rebels shell besieged city as ceasefire collapses",
         "Artillery fire hit residential districts overnight, killing at least 14 civilians, according "
         "to local officials. Government troops said they had repelled an assault on the northern front "
         "line."),
        ("Gunmen kill soldiers in attack on border post",
         "Militants armed with rifles and grenades stormed the army outpost before dawn, the defence "
         "ministry said. An Islamist group later claimed the attack in a statement online."),
        ("UN envoy pushes for truce as fighting enters third month",
         "Shelling continued around the port city on Tuesday as the United Nations envoy met both sides' "
         "negotiators. Aid groups say more than a million people have been displaced by the conflict."),
    ],
    "medtop:02000000": [
        ("Man jailed for life for killing neighbour",
         "A 42-year-old man was sentenced to life in prison on Friday after a jury convicted him of "
         "stabbing his neighbour during a row over parking. The judge said he must serve at least 18 years."),
        ("Police break up drug smuggling ring",
         "Officers seized two tonnes of cocaine and arrested 11 people in raids across three cities, police "
         "said. The suspects are due to appear in court next week charged with conspiracy to import drugs."),
        ("Former mayor charged with embezzlement",
         "Prosecutors allege the ex-mayor diverted $3 million of city funds into private accounts over six "
         "years. He denies wrongdoing and was released on bail pending trial."),
    ],
    "medtop:03000000": [
        ("Earthquake kills dozens in mountain villages",
         "A magnitude 6.8 earthquake flattened homes across the remote region, killing at least 60 people. "
         "Rescue workers dug through rubble with their hands as aftershocks shook the area."),
        ("Passenger train derails, injuring 80",
         "Several carriages left the tracks and overturned near the station on Sunday evening. Emergency "
         "services said three people were in a critical condition in hospital."),
        ("Dozens missing after monsoon floods sweep villages",
         "Rescuers used boats to reach stranded families as rivers burst their banks across the province. "
         "At least 45 people have died and thousands are in temporary shelters."),
    ],
    "medtop:04000000": [
        ("Retailer's profits beat forecasts",
         "The supermarket chain said pre-tax profit rose 12% to $1.4 billion in the year to March, helped "
         "by strong online sales. Its shares jumped 6% in early trading."),
        ("Central bank holds rates as inflation eases",
         "Policymakers left the benchmark interest rate unchanged at 4.5%, saying price pressures were "
         "slowing. Economists expect the first cut later this year as growth weakens."),
        ("Chipmaker agrees $12 billion deal for rival",
         "The acquisition, paid in cash and stock, is expected to close next year subject to regulatory "
         "approval. Shares of the target company rose 18% on the news."),
    ],
    "medtop:05000000": [
        ("Schools to get extra funding for reading lessons",
         "Primary schools will receive additional money to hire reading specialists, the education "
         "department said. Head teachers welcomed the plan but said class sizes were still too large."),
        ("University applications fall after fee rise",
         "The number of students applying for undergraduate courses dropped by 8% this year. "
         "Vice-chancellors warned that higher tuition fees were putting off pupils from poorer backgrounds."),
        ("Teacher shortage forces schools to cancel classes",
         "District officials said more than 200 teaching posts remain unfilled at the start of term. "
         "Parents complained that pupils were being taught by a rotating cast of substitutes."),
    ],
    "medtop:06000000": [
        ("Rainforest loss speeds up, satellite data shows",
         "Deforestation in the Amazon rose by a fifth last year as land was cleared for cattle and soy. "
         "Conservation groups said the destruction threatened thousands of species."),
        ("Nations agree to cut methane emissions",
         "Delegates at the climate summit pledged to reduce emissions of the greenhouse gas by 30% by the "
         "end of the decade. Environmental campaigners said the deal did not go far enough to slow global "
         "warming."),
        ("Plastic pollution in rivers has tripled, study finds",
         "Researchers sampled water at 300 sites and found microplastics in every one. Environmental groups "
         "urged governments to curb single-use packaging."),
    ],
    "medtop:07000000": [
        ("Measles cases rise as vaccination rates fall",
         "Health officials reported more than 300 cases of measles this year, three times last year's "
         "number. Doctors urged parents to make sure their children had both doses of the vaccine."),
        ("New drug slows Alzheimer's, trial finds",
         "Patients given the treatment showed 27% less cognitive decline over 18 months than those on a "
         "placebo, researchers said. Regulators are expected to decide on approval next year."),
        ("Hospitals struggle as flu season peaks",
         "Emergency departments reported record waiting times this week as flu admissions rose sharply. "
         "Health officials urged elderly people to get vaccinated."),
    ],
    "medtop:08000000": [
        ("Lost cat turns up 200 miles from home",
         "A family were reunited with their pet cat four years after it vanished, when a vet scanned its "
         "microchip. The owners said they had given up hope of ever seeing it again."),
        ("Great-grandmother celebrates 110th birthday",
         "The woman, who still lives in her own home, marked the occasion with a party attended by five "
         "generations of her family. She put her long life down to hard work and a daily walk."),
        ("Couple find wedding ring lost for 30 years in vegetable patch",
         "The woman lost the ring while gardening in 1994 and had long given up hope. Her husband dug it "
         "up while planting potatoes last weekend."),
    ],
    "medtop:09000000": [
        ("Rail workers strike over pay",
         "Thousands of train drivers walked out on Monday after talks between their union and operators "
         "broke down. The union says wages have failed to keep up with the cost of living."),
        ("Unemployment falls to lowest level in two decades",
         "The jobless rate dropped to 3.9% last month as employers added 250,000 workers to their payrolls. "
         "Wage growth also picked up, the labour department said."),
        ("Airline pilots vote to strike over pensions",
         "Members of the pilots' union backed industrial action by nine to one after the carrier proposed "
         "changes to their retirement benefits. The union said walkouts could begin within two weeks."),
    ],
    "medtop:10000000": [
        ("Ten of the best walking holidays in Europe",
         "From coastal paths to alpine trails, these routes offer stunning scenery and cosy places to stay. "
         "Pack light, book your hotels early and enjoy the local food along the way."),
        ("Chef's guide to a perfect summer barbecue",
         "Marinate the meat the night before, keep the salads simple and do not forget the dessert. "
         "A chilled rose wine goes well with grilled fish."),
        ("Five ways to make the most of a city break",
         "Book a hotel near the old town, try the street food and get up early to beat the crowds at the "
         "museums. Many cities offer passes that include public transport."),
    ],
    "medtop:11000000": [
        ("Prime minister calls snap election",
         "The prime minister announced that voters will go to the polls in six weeks, hoping to strengthen "
         "his party's majority in parliament. Opposition leaders said the government was running scared."),
        ("Senate passes budget bill after marathon debate",
         "Lawmakers voted 51 to 49 to approve the spending plan, sending it to the president for his "
         "signature. Opposition senators said it would add trillions to the national debt."),
        ("Coalition talks stall as parties clash over budget",
         "The two parties have failed to agree on spending after three weeks of negotiations following the "
         "inconclusive election. The president urged them to form a government quickly."),
    ],
    "medtop:12000000": [
        ("Pope calls for peace in Christmas message",
         "Speaking to crowds in St Peter's Square, the pontiff urged world leaders to end conflicts and help "
         "refugees. Thousands of pilgrims attended midnight mass at the Vatican."),
        ("Millions of pilgrims begin the hajj",
         "Muslims from around the world gathered in Mecca for the annual pilgrimage, one of the pillars of "
         "Islam. Worshippers prayed at the Grand Mosque."),
        ("Cathedral reopens after restoration as faithful return",
         "Hundreds of worshippers attended the first mass in the cathedral since the restoration began. "
         "The bishop blessed the new altar."),
    ],
    "medtop:13000000": [
        ("Smartphone maker unveils foldable handset",
         "The new phone has a larger screen, a faster processor and a longer-lasting battery, the company "
         "said at its launch event. It will go on sale next month."),
        ("Telescope finds water vapour on distant planet",
         "Astronomers detected water in the atmosphere of an exoplanet orbiting a nearby star, the space "
         "agency said. The discovery raises questions about whether such worlds could support life."),
        ("Researchers unveil faster quantum computer chip",
         "The processor completed a calculation in minutes that would take a conventional supercomputer "
         "years, the team reported in a scientific journal. Engineers said practical uses are still some "
         "way off."),
    ],
    "medtop:14000000": [
        ("Child poverty rises to record level, charity warns",
         "More than four million children now live in households below the poverty line, according to a "
         "new report. Campaigners called on the government to raise benefits for low-income families."),
        ("Number of people sleeping rough doubles",
         "Homelessness charities said rising rents and cuts to support services were pushing more people "
         "on to the streets. Shelters in the city are full every night."),
        ("Report finds widening gap in life expectancy between rich and poor",
         "People in the wealthiest areas now live nine years longer than those in the most deprived "
         "neighbourhoods. Campaigners called for more investment in poor communities."),
    ],
    "medtop:15000000": [
        ("Late goal sends champions top of the league",
         "The striker headed in a corner in stoppage time to give his side a 2-1 win away from home. "
         "The visitors had trailed for most of the first half."),
        ("Tennis star reaches third straight final",
         "The world number one beat her opponent 6-3 6-4 in the semi-final and will play for the title on "
         "Saturday. She has not dropped a set all tournament."),
        ("Champions sack coach after cup exit",
         "The club dismissed its head coach a day after the team was knocked out of the cup by a "
         "second-division side. The assistant will take charge for Saturday's league game."),
    ],
    "medtop:17000000": [
        ("Heavy snow expected across the north",
         "Forecasters warned of up to 30cm of snow on higher ground and icy roads on Thursday morning. "
         "Temperatures could fall to minus 10C overnight."),
        ("Heatwave to bring hottest day of the year",
         "The weather service issued an amber warning as temperatures are expected to reach 36C in the "
         "south. Thunderstorms may follow at the weekend."),
        ("Storm to bring gales and heavy rain on Friday",
         "The weather service warned of gusts of up to 80 mph along the coast and 50mm of rain on high "
         "ground. Conditions should improve by Sunday."),
    ],
}


def zero_shot_analyzer(config: str | Path) -> Analyzer:
    """The engine of this config without its trained heads: they only load against the zero-shot settings
    they were trained with, and these scripts are how those settings are chosen."""
    engine = load_engine_config(config)
    return Analyzer(engine.model_copy(update={"tagger": engine.tagger.without_heads()}))


def load_cached(split: str) -> list[dict]:
    """The encodings `bench/cache_bbc.py` wrote for a BBC split."""
    with (OUT / f"bbc_{split}.pkl").open("rb") as f:
        return pickle.load(f)


def body_indices(item: dict) -> list[int]:
    return [i for i, (_, role) in enumerate(item["sentences"]) if role == "body"]


def document_vector(item: dict, headline_weight: float) -> np.ndarray:
    """`Analyzer.document_vector` on a cached item: non-boilerplate sentences plus the weighted title."""
    roles = [role for _, role in item["sentences"]]
    w = np.array([0.0 if r == "boilerplate" else headline_weight if r == "headline" else 1.0 for r in roles],
                 np.float32)
    vec = (w[:, None] * item["vectors"]).sum(0)
    if item["title_vector"] is not None:
        vec = vec + headline_weight * item["title_vector"]
    return vec / max(float(np.linalg.norm(vec)), 1e-12)


def article_scores(tagger: ZeroShotTagger, items: list[dict], headline_weight: float) -> np.ndarray:
    """(articles, labels) similarity scores, as the engine computes them before calibration."""
    return np.stack([
        tagger.similarities(document_vector(x, headline_weight), x["vectors"], body_indices(x))[0]
        for x in items
    ])


def accuracy(tagger: ZeroShotTagger, items: list[dict], headline_weight: float) -> float:
    codes = [lb.code for lb in tagger.labels]
    gold = np.array([codes.index(BBC_TO_IPTC[x["category"]]) for x in items])
    return float((article_scores(tagger, items, headline_weight).argmax(1) == gold).mean())


def make_tagger(an: Analyzer, cfg: TaggerConfig, taxonomy: Path | None = None) -> ZeroShotTagger:
    """The tagger the config describes (optionally with another taxonomy file)."""
    labels = load_taxonomy(taxonomy or cfg.taxonomy).top_level()
    return ZeroShotTagger.build(
        labels, lambda t: an.encoder.encode(t).vectors, cfg.calibration, top_k=cfg.top_k_descriptions,
        pooling=cfg.pooling, offsets=offset_vector(labels, cfg.offsets),
    )


def grid(an: Analyzer, cfg: TaggerConfig, taxonomy: Path | None, items: list[dict]) -> None:
    labels = load_taxonomy(taxonomy or cfg.taxonomy).top_level()
    most = max(len(lb.prompts()) for lb in labels)
    vectors = an.encoder.encode([p for lb in labels for p in lb.prompts()]).vectors
    counts = [len(lb.prompts()) for lb in labels]
    ks = sorted({1, 2, 3, 5, 8, most})
    print(f"dev accuracy, {len(items)} articles; columns: top_k (k={most}: mean over all descriptions)")
    print(f"{'pooling':10} {'headline_weight':>15} " + " ".join(f"{k:>6}" for k in ks))
    for pooling in ("document", "sentences"):
        for hw in (0.0, 1.0, 2.0, 3.0) if pooling == "document" else (cfg.headline_weight,):
            taggers = [ZeroShotTagger(labels, vectors, counts, cfg.calibration, top_k=k, pooling=pooling,
                                      offsets=offset_vector(labels, cfg.offsets))
                       for k in ks]
            row = [accuracy(t, items, hw) for t in taggers]
            print(f"{pooling:10} {hw:>15} " + " ".join(f"{a:6.3f}" for a in row))


def analyze_vectors(an: Analyzer, text: str, title: str | None = None
                    ) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """The engine's document vector, sentence vectors and body sentences for one article."""
    p = an.prepare(AnalyzeRequest(text=text, title=title))
    e = an.encode([p])[0]
    return an.document_vector(p, e), e.sentence_vectors, [s.index for s in p.sentences if s.role == "body"]


def ranked_codes(tagger: ZeroShotTagger, vectors: tuple[np.ndarray, np.ndarray, list[int]]) -> list[str]:
    sims = tagger.similarities(*vectors)[0]
    return [tagger.labels[i].code for i in np.argsort(-sims, kind="stable")]


def sanity(an: Analyzer, tagger: ZeroShotTagger) -> bool:
    names = {lb.code: lb.name for lb in tagger.labels}
    misses = []
    for code, items in SNIPPETS.items():
        for title, body in items:
            ranked = ranked_codes(tagger, analyze_vectors(an, body, title))
            if ranked[0] != code:
                misses.append(f"  {names[code]!r} lost {title!r} to {names[ranked[0]]!r} "
                              f"(rank {ranked.index(code) + 1})")
    n = sum(len(v) for v in SNIPPETS.values())
    print(f"hand-written articles: {n - len(misses)}/{n} won by their own topic", *misses, sep="\n")
    ranked = ranked_codes(tagger, analyze_vectors(an, SEED.read_text(encoding="utf-8")))
    r_conflict, r_politics = ranked.index(CONFLICT) + 1, ranked.index(POLITICS) + 1
    print(f"seed article: conflict rank {r_conflict} (need <= 2), politics rank {r_politics} (need <= 3); "
          f"top 3: {[names[c] for c in ranked[:3]]}")
    return not misses and r_conflict <= 2 and r_politics <= 3


def reuters_rows(per_topic: int) -> list[tuple[str, str]]:
    """(title, text) of `per_topic` Reuters-21578 test wires of each of `REUTERS_BUSINESS`, a fixed sample."""
    rows = [json.loads(line) for line in (SHARED / "reuters21578" / "modapte_test.jsonl").open()]
    rng = random.Random(0)
    out = []
    for topic in REUTERS_BUSINESS:
        pool = [r for r in rows if r["topics"] == [topic] and len(r["body"]) > 400]
        sample = rng.sample(pool, min(per_topic, len(pool)))
        out += [(r["title"].title(), " ".join(r["body"].split())) for r in sample]
    return out


def reuters_check(an: Analyzer, tagger: ZeroShotTagger, per_topic: int) -> None:
    """Share of Reuters-21578 business wires (another publisher, another decade) tagged economy first."""
    hits, total = 0, 0
    for title, text in reuters_rows(per_topic):
        hits += ranked_codes(tagger, analyze_vectors(an, text, title))[0] == ECONOMY
        total += 1
    print(f"Reuters-21578 {'/'.join(REUTERS_BUSINESS)} wires tagged economy first: {hits}/{total} "
          f"= {hits / total:.3f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default=str(DEFAULT_CONFIG))
    ap.add_argument("--taxonomy", type=Path, help="another taxonomy file to measure (default: the config's)")
    ap.add_argument("--split", choices=["dev", "test"], default="dev",
                    help="test: report the configured setting only (tune on dev)")
    ap.add_argument("--reuters", type=int, default=0, metavar="N", help="check N Reuters wires per topic")
    args = ap.parse_args()

    an = zero_shot_analyzer(args.config)
    cfg = load_engine_config(args.config).tagger
    items = load_cached(args.split)
    tagger = make_tagger(an, cfg, args.taxonomy)
    if args.split == "dev":
        grid(an, cfg, args.taxonomy, items)
    print(f"configured ({cfg.pooling} pooling, top_k_descriptions={cfg.top_k_descriptions}, "
          f"headline_weight={cfg.headline_weight}): {args.split} accuracy "
          f"{accuracy(tagger, items, cfg.headline_weight):.3f} on {len(items)} articles")
    ok = sanity(an, tagger)
    if args.reuters:
        reuters_check(an, tagger, args.reuters)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
