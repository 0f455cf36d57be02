# ruff: noqa: E501, N802
"""Hand-written relevance rules for the judged search queries over the Instacart catalog.

Each query states, in the judge's own words as regular expressions over the lower-cased,
accent-stripped product name (and optionally the aisle), which products are the **exact**
product type asked for (grade 2) and which are **related** (grade 1: the same thing in
another form, or an acceptable alternative); every other product is **wrong** (grade 0).
``build.py`` applies these rules to the whole catalog and writes ``instacart_qrels.tsv``.
The guide, the procedure and its review are in docs/evaluation.md ("Judged search queries").
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["RULES", "Judge", "Match"]


@dataclass(frozen=True)
class Match:
    """Products whose name matches ``name``, whose aisle matches ``aisle`` (whole aisle
    name, a regex; any aisle when None) and whose name does not match ``no``."""

    name: str
    aisle: str | None = None
    no: str | None = None


@dataclass(frozen=True)
class Judge:
    """One judged query: its kind, and the rules for grade 2 and grade 1."""

    query: str
    kind: str
    exact: tuple[Match, ...]
    related: tuple[Match, ...] = field(default=())


def J(query: str, kind: str, exact: Match | tuple[Match, ...],
      related: Match | tuple[Match, ...] = ()) -> Judge:  # fmt: skip
    as_tuple = lambda m: m if isinstance(m, tuple) else (m,)  # noqa: E731
    return Judge(query, kind, as_tuple(exact), as_tuple(related))


# aisle groups, to keep the rules short
FRUIT = "fresh fruits|packaged vegetables fruits|packaged produce"
VEG = "fresh vegetables|packaged vegetables fruits|packaged produce|fresh herbs"
PRODUCE = f"{FRUIT}|fresh vegetables|fresh herbs"
FROZEN = "frozen produce|frozen meals|frozen appetizers sides|frozen vegan vegetarian"
DRIED = "nuts seeds dried fruit|bulk dried fruits vegetables|fruit vegetable snacks"
CANNED = "canned jarred vegetables|canned fruit applesauce"
PET = "cat food care|dog food care"
NOT_PET = "(?!cat food care|dog food care).*"
PERSONAL = ("hair care|skin care|body lotions soap|soap|facial care|beauty|baby bath body care|"
            "oral hygiene|deodorants|shave needs|eye ear care|first aid|feminine care")  # fmt: skip
FOOD = f"(?!{PET}|{PERSONAL}|kitchen supplies|air fresheners candles|cleaning products).*"
MILK_AISLES = "milk|soy lactosefree|cream|refrigerated"
CHEESE = "packaged cheese|specialty cheeses|other creams cheeses"


def fresh(query: str, word: str) -> Judge:
    """A fresh produce query: the produce itself is exact; frozen, dried, canned is related."""
    return J(query, "produce", Match(rf"\b{word}", PRODUCE),
             Match(rf"\b{word}", f"{FROZEN}|{DRIED}|{CANNED}|bulk grains rice dried goods"))  # fmt: skip


RULES: list[Judge] = [
    # --- single product types, produce (the word as a stem: plural and singular both count)
    J(
        "avocado",
        "produce",
        Match(r"\bavocados?\b", PRODUCE),
        Match(r"\bguacamole\b|\bavocados?\b", "fresh dips tapenades|frozen produce"),
    ),
    J(
        "bananas",
        "produce",
        Match(r"\bbananas?\b", FRUIT),
        Match(r"\bbananas?\b", f"{FROZEN}|{DRIED}", "puree|stage"),
    ),
    fresh("strawberries", r"strawberr(?:y|ies)"),
    fresh("blueberries", r"blueberr(?:y|ies)"),
    fresh("raspberry", r"raspberr(?:y|ies)"),
    fresh("apples", r"apples?\b(?! ?sauce| ?juice| cider)"),
    fresh("lemons", r"lemons?\b(?! ?juice| ?grass)"),
    fresh("limes", r"limes?\b(?! ?juice)"),
    fresh("oranges", r"oranges?\b(?! ?juice)(?!.*pepper)"),
    fresh("grapes", r"grapes?\b(?!fruit)(?! tomato)"),
    fresh("pineapples", r"pineapples?\b(?! ?juice)"),
    fresh("mango", r"mangos?(?:es)?\b"),
    fresh("peaches", r"peach(?:es)?\b"),
    fresh("pears", r"pears?\b"),
    fresh("watermelon", r"watermelons?\b"),
    fresh("cucumber", r"cucumbers?\b"),
    fresh("tomatoes", r"tomato(?:es)?\b(?! ?sauce| paste)"),
    fresh("potatoes", r"(?<!sweet )potato(?:es)?\b(?! chips)"),
    fresh("sweet potatoes", r"sweet potato(?:es)?\b"),
    fresh("onions", r"onions?\b"),
    fresh("red onion", r"red onions?\b"),
    fresh("garlic", r"garlic\b"),
    fresh("ginger", r"ginger\b(?! ?ale)"),
    fresh("carrots", r"carrots?\b"),
    fresh("baby carrots", r"baby carrots?\b"),
    fresh("broccoli", r"broccoli\b"),
    fresh("cauliflower", r"cauliflower\b"),
    fresh("spinach", r"spinach\b"),
    fresh("baby spinach", r"baby spinach\b"),
    fresh("kale", r"kale\b"),
    fresh("celery", r"celery\b"),
    fresh("cilantro", r"cilantro\b"),
    fresh("mushrooms", r"mushrooms?\b"),
    fresh("zucchini", r"zucchini\b"),
    fresh("asparagus", r"asparagus\b"),
    fresh("lettuce", r"lettuce\b"),
    fresh("green beans", r"green beans?\b"),
    fresh("bell peppers", r"bell peppers?\b|\b(?:red|green|yellow|orange) (?:bell )?peppers?\b"),
    fresh("jalapeno peppers", r"jalapeno(?: peppers?)?\b"),
    # --- single product types, the rest of the store
    J(
        "eggs",
        "type",
        Match(r"\beggs?\b", "eggs", r"substitute|noodle|whites?\b|beaters"),
        Match(r"\beggs?\b|\begg whites\b", "eggs"),
    ),
    J(
        "milk",
        "type",
        Match(
            r"\bmilk\b",
            MILK_AISLES,
            r"creamer|\bcream\b|kefir|almond|soy|coconut|cashew|\boat|rice|hemp|flax|goat|pea\b",
        ),
        Match(r"milk\b", f"{MILK_AISLES}|baby food formula", r"creamer"),
    ),
    J(
        "butter",
        "type",
        Match(r"\bbutter\b", "butter", r"nut butter|peanut|almond"),
        Match(r"\bbutter\b", "butter"),
    ),
    J(
        "bread",
        "type",
        Match(r"\bbread\b", "bread|breakfast bakery", r"crumb|mix"),
        Match(
            r"\bbread\b|\bloaf\b|baguette|sourdough",
            "bread|breakfast bakery|frozen breads doughs|tortillas flat bread",
        ),
    ),
    J(
        "yogurt",
        "type",
        Match(r"\byogh?urts?\b", "yogurt", r"pretzel|raisin|covered|bar\b"),
        Match(r"\byogh?urt|kefir|skyr\b", "yogurt|baby food formula"),
    ),
    J(
        "salmon",
        "type",
        Match(
            r"\bsalmon\b",
            "packaged seafood|seafood counter|frozen meat seafood|canned meat seafood",
            r"cat|dog",
        ),
        Match(r"\bsalmon\b", "prepared meals|frozen meals|prepared soups salads|popcorn jerky"),
    ),
    J(
        "tofu",
        "type",
        Match(r"tofu\b", "tofu meat alternatives|asian foods", r"noodle|dressing|sauce|seasoning"),
        Match(r"tofu", FOOD),
    ),
    J(
        "hummus",
        "type",
        Match(
            r"\bhummus\b",
            "fresh dips tapenades|preserved dips spreads|spreads|packaged vegetables fruits",
            r"chips?\b|crackers?",
        ),
        Match(r"\bhummus\b", FOOD),
    ),
    J(
        "tortillas",
        "type",
        Match(
            r"\btortillas?\b",
            "tortillas flat bread|latino foods|frozen breads doughs",
            r"chips?\b|strips|soup",
        ),
        Match(r"\btortillas?\b|\bwraps?\b", "tortillas flat bread|latino foods"),
    ),
    J("kombucha", "type", Match(r"kombucha", f"(?!{PERSONAL}).*"), ()),
    J(
        "rice",
        "type",
        Match(
            r"\brice\b",
            "grains rice dried goods|bulk grains rice dried goods|instant foods|frozen produce|asian foods|latino foods|indian foods|kosher foods",
            r"cakes?\b|noodle|vinegar|pasta|cracker|milk|flour|paper|crisp|cereal|chips?|pudding|bran|syrup|wine|mix\b|seasoning|sides?\b|stick",
        ),
        Match(
            r"\brice\b",
            "grains rice dried goods|bulk grains rice dried goods|instant foods|frozen produce|frozen meals|asian foods|latino foods|indian foods",
        ),
    ),
    J(
        "pasta",
        "type",
        Match(
            r"\bpasta\b|spaghetti|penne|fusilli|rigatoni|linguine|fettuccine|macaroni|rotini|farfalle|orzo|lasagn",
            "dry pasta|fresh pasta",
            r"sauce",
        ),
        Match(
            r"\bpasta\b|spaghetti|penne|macaroni|lasagn|ravioli|tortellini|gnocchi",
            "dry pasta|fresh pasta|frozen meals|instant foods|prepared meals",
        ),
    ),
    J(
        "cereal",
        "type",
        Match(r".", "cereal", r"bars?\b"),
        Match(r".", "granola|hot cereal pancake mixes|breakfast bars pastries"),
    ),
    J(
        "granola",
        "type",
        Match(r"granola", "granola|cereal|bulk grains rice dried goods", r"bars?\b|bites"),
        Match(r"granola", FOOD),
    ),
    J(
        "oatmeal",
        "type",
        Match(
            r"oatmeal|\boats\b",
            "hot cereal pancake mixes|granola|cereal|bulk grains rice dried goods|frozen breakfast",
            r"cookie|bars?\b",
        ),
        Match(r"oatmeal|\boats?\b", f"{FOOD}", r"milk|cookie|shampoo|soap|lotion|bath"),
    ),
    J(
        "coffee",
        "type",
        Match(r"coffee|espresso|cold brew|\broast\b", "coffee", r"creamer|filter"),
        Match(
            r"coffee|espresso|cold brew",
            f"(?!{PERSONAL}|ice cream ice).*",
            r"creamer|filter|ice cream|cake",
        ),
    ),
    J(
        "tea",
        "type",
        Match(r"\btea\b|chai|matcha|rooibos|chamomile|earl grey|oolong", "tea", r"kettle"),
        Match(r"\btea\b|chai|matcha|chamomile", f"{FOOD}", r"tea tree|teaspoon"),
    ),
    J(
        "honey",
        "type",
        Match(
            r"\bhoney\b", "honeys syrups nectars|spreads", r"mustard|roasted|dew|almond|nut|bear\b"
        ),
        Match(r"\bhoney\b", "honeys syrups nectars|spreads|bulk dried fruits vegetables"),
    ),
    J(
        "salsa",
        "type",
        Match(
            r"\bsalsa\b",
            "preserved dips spreads|fresh dips tapenades|latino foods|condiments",
            r"chips?\b",
        ),
        Match(r"\bsalsa\b|pico de gallo", FOOD),
    ),
    J(
        "bagels",
        "type",
        Match(
            r"\bbagels?\b",
            "breakfast bakery|bread|frozen breads doughs|buns rolls|frozen breakfast",
            r"chips?\b|crisps?",
        ),
        Match(
            r"\bbagels?\b|english muffins?",
            "breakfast bakery|bread|frozen breads doughs|frozen breakfast|buns rolls|crackers",
        ),
    ),
    J(
        "croissant",
        "type",
        Match(
            r"croissants?", "breakfast bakery|bread|frozen breads doughs|bakery desserts|buns rolls"
        ),
        Match(r"croissants?|pastr(?:y|ies)", f"{FOOD}"),
    ),
    J(
        "pickles",
        "type",
        Match(
            r"pickles?\b|gherkin|cornichon", "pickled goods olives|condiments", r"chips?\b|juice"
        ),
        Match(r"pickle", f"{FOOD}"),
    ),
    J(
        "olives",
        "type",
        Match(
            r"\bolives?\b",
            "pickled goods olives|fresh dips tapenades|canned jarred vegetables",
            r"\boil\b|tapenade|hummus",
        ),
        Match(
            r"\bolives?\b|tapenade",
            "pickled goods olives|fresh dips tapenades|canned jarred vegetables|preserved dips spreads",
        ),
    ),
    J(
        "almonds",
        "type",
        Match(
            r"\balmonds?\b",
            "nuts seeds dried fruit|bulk dried fruits vegetables|trail mix snack mix|baking ingredients",
            r"milk|butter|flour|bar\b|chocolate|cluster",
        ),
        Match(r"\balmonds?\b", f"{FOOD}", r"milk|lotion|soap"),
    ),
    J(
        "walnuts",
        "type",
        Match(
            r"\bwalnuts?\b",
            "nuts seeds dried fruit|bulk dried fruits vegetables|baking ingredients|trail mix snack mix",
            r"bread|cookie|brownie",
        ),
        Match(r"\bwalnuts?\b", FOOD),
    ),
    J(
        "cashews",
        "type",
        Match(
            r"\bcashews?\b",
            "nuts seeds dried fruit|bulk dried fruits vegetables|trail mix snack mix",
            r"milk|butter|cookie",
        ),
        Match(r"\bcashews?\b", FOOD, r"milk"),
    ),
    J(
        "popcorn",
        "type",
        Match(r"popcorn|pop corn", "popcorn jerky|chips pretzels|bulk grains rice dried goods"),
        Match(r"popcorn", FOOD),
    ),
    J(
        "pretzels",
        "type",
        Match(
            r"pretzels?",
            "chips pretzels|crackers|trail mix snack mix|candy chocolate|frozen breads doughs",
        ),
        Match(r"pretzels?", FOOD),
    ),
    J(
        "crackers",
        "type",
        Match(r"crackers?|crisps|wheat thins|triscuit|\britz\b|cheez", "crackers", r"chips?\b"),
        Match(r"crackers?|crisps?", f"{FOOD}"),
    ),
    J(
        "cookies",
        "type",
        Match(
            r"cookies?\b|oreo|biscotti|shortbread",
            "cookies cakes|bakery desserts|kosher foods",
            r"dough|cereal|ice cream|bars?\b",
        ),
        Match(r"cookies?|biscuits?|wafers?", f"{FOOD}", r"ice cream|cereal"),
    ),
    J(
        "ice cream",
        "two-word",
        Match(
            r"ice cream|gelato",
            "ice cream ice|frozen dessert",
            r"cones?\b|toppings?|sprinkles|syrup|bowls?|scoop",
        ),
        Match(
            r"gelato|sorbet|frozen (?:dessert|yogurt)|ice cream",
            "ice cream ice|frozen dessert|ice cream toppings",
        ),
    ),
    J(
        "chocolate",
        "type",
        Match(r"chocolate|cacao|cocoa", "candy chocolate|baking ingredients", r"chips? cookie"),
        Match(r"chocolate|cacao", f"{FOOD}", r"milk\b(?! chocolate)|protein|shake"),
    ),
    J(
        "bacon",
        "type",
        Match(
            r"\bbacon\b",
            "hot dogs bacon sausage|packaged meat|frozen meat seafood|meat counter|packaged poultry|lunch meat",
            r"bits\b|jerky",
        ),
        Match(
            r"\bbacon\b",
            "hot dogs bacon sausage|packaged meat|frozen meat seafood|meat counter|packaged poultry|lunch meat|salad dressing toppings|tofu meat alternatives",
        ),
    ),
    J(
        "sausage",
        "type",
        Match(
            r"sausages?\b|bratwurst|chorizo|kielbasa|links\b",
            "hot dogs bacon sausage|meat counter|packaged meat|packaged poultry|frozen meat seafood|frozen breakfast|tofu meat alternatives",
            r"pizza|biscuit|sandwich|burrito",
        ),
        Match(r"sausages?|bratwurst|chorizo|kielbasa|hot dogs?|franks", f"{FOOD}", r"pizza"),
    ),
    J(
        "shrimp",
        "type",
        Match(
            r"\bshrimps?\b|prawns?",
            "seafood counter|frozen meat seafood|packaged seafood|canned meat seafood|meat counter",
            r"dumpling|sauce|chips",
        ),
        Match(r"\bshrimps?\b|prawns?", f"(?!{PET}).*", r"sauce|chips"),
    ),
    J("ketchup", "type", Match(r"ketchup|catsup", "condiments"), Match(r"ketchup|catsup", FOOD)),
    J(
        "mustard",
        "type",
        Match(r"mustard", "condiments", r"greens|seed|powder|pretzel"),
        Match(r"mustard", FOOD, r"greens"),
    ),
    J(
        "mayonnaise",
        "type",
        Match(r"mayo", "condiments|salad dressing toppings|spreads", r"chipotle mayo dressing"),
        Match(r"mayo|aioli|vegenaise", FOOD),
    ),
    J(
        "cinnamon",
        "type",
        Match(
            r"cinnamon",
            "spices seasonings|bulk dried fruits vegetables|baking ingredients",
            r"sugar|raisin|apple",
        ),
        Match(r"cinnamon", "spices seasonings|bulk dried fruits vegetables|baking ingredients"),
    ),
    J(
        "flour",
        "type",
        Match(r"\bflours?\b", "baking ingredients|bulk grains rice dried goods", r"tortilla"),
        Match(
            r"\bflours?\b|\bmeal\b",
            "baking ingredients|bulk grains rice dried goods|doughs gelatins bake mixes|hot cereal pancake mixes",
            r"tortilla",
        ),
    ),
    J(
        "sugar",
        "type",
        Match(
            r"\bsugar\b|sweetener|stevia|agave",
            "baking ingredients|bulk grains rice dried goods|honeys syrups nectars",
            r"free|cookie|snap|peas",
        ),
        Match(
            r"\bsugar\b|sweetener|stevia",
            "baking ingredients|bulk grains rice dried goods|honeys syrups nectars|coffee|tea",
            r"free",
        ),
    ),
    J(
        "quinoa",
        "type",
        Match(
            r"quinoa",
            "grains rice dried goods|bulk grains rice dried goods|instant foods|frozen produce",
            r"pasta|chips|crisps|bars?\b|cereal|flakes",
        ),
        Match(r"quinoa", FOOD),
    ),
    J(
        "lentils",
        "type",
        Match(
            r"lentils?",
            "grains rice dried goods|bulk grains rice dried goods|canned meals beans|packaged vegetables fruits|bulk dried fruits vegetables",
            r"chips|pasta|soup|crackers",
        ),
        Match(r"lentils?|\bdal\b|\bdahl\b", FOOD),
    ),
    J(
        "chickpeas",
        "type",
        Match(
            r"chick ?peas?|garbanzo",
            "canned meals beans|grains rice dried goods|bulk grains rice dried goods|canned jarred vegetables|packaged vegetables fruits",
            r"chips|pasta|puffs|snack",
        ),
        Match(r"chick ?peas?|garbanzo|hummus", FOOD, r"chips"),
    ),
    J(
        "diapers",
        "type",
        Match(r"diapers?", "diapers wipes", r"cream|rash|ointment|bag"),
        Match(r"diapers?|pull-?ups|training pants|underwear|nappies", "diapers wipes"),
    ),
    J(
        "shampoo",
        "type",
        Match(r"shampoo", "hair care|baby bath body care", r"dog|cat|pet"),
        Match(r"shampoo|conditioner", "hair care|baby bath body care"),
    ),
    J(
        "toothpaste",
        "type",
        Match(r"toothpaste|tooth paste|fluoride.*paste|whitening paste", "oral hygiene"),
        Match(r"tooth|mouthwash|floss|dental", "oral hygiene"),
    ),
    J(
        "deodorant",
        "type",
        Match(r"deodorant|antiperspirant", "deodorants|body lotions soap|beauty|soap", r"soap"),
        Match(r"deodorant|antiperspirant", ".*", r"freshener"),
    ),
    J(
        "candles",
        "type",
        Match(
            r"candles?",
            "air fresheners candles|more household|baking supplies decor",
            r"birthday candle cake",
        ),
        Match(
            r"candles?|wax melts?|diffuser",
            "air fresheners candles|more household|baking supplies decor",
        ),
    ),
    # --- two-word products and modified types
    J(
        "organic bananas",
        "two-word",
        Match(r"organic.*\bbananas?\b|bananas?.*organic", FRUIT),
        Match(r"\bbananas?\b", FRUIT),
    ),
    J(
        "almond milk",
        "two-word",
        Match(
            r"almond ?milk|almond breeze(?!.*(?:ricotta|yogurt|creamer|ice|cheese|frozen|dessert|coffee))",
            "soy lactosefree|milk|refrigerated|missing|cream|juice nectars",
            r"ricotta|yogurt|creamer|ice cream|cheese|frozen dessert|coffee|latte|chocolate bar",
        ),
        Match(
            r"(?:cashew|coconut|soy|oat|rice|hemp|flax|pea) ?milk|almond ?milk",
            "soy lactosefree|milk|refrigerated|cream",
            r"creamer|ice cream",
        ),
    ),
    J(
        "oat milk",
        "two-word",
        Match(
            r"\boat ?milk|oat beverage|oat drink", "soy lactosefree|milk|refrigerated", r"creamer"
        ),
        Match(
            r"(?:almond|cashew|coconut|soy|rice|hemp|flax|pea) ?milk",
            "soy lactosefree|milk|refrigerated|cream",
            r"creamer",
        ),
    ),
    J(
        "soy milk",
        "two-word",
        Match(
            r"\bsoy ?milk|\bsoy beverage", "soy lactosefree|milk|refrigerated", r"creamer|yogurt"
        ),
        Match(
            r"(?:almond|cashew|coconut|oat|rice|hemp|flax|pea) ?milk|\bsoy\b.*(?:milk|beverage)",
            "soy lactosefree|milk|refrigerated|cream",
            r"creamer",
        ),
    ),
    J(
        "coconut milk",
        "two-word",
        Match(
            r"coconut ?milk(?! creamer)",
            "soy lactosefree|asian foods|milk|refrigerated|cream|canned fruit applesauce|canned meals beans|baking ingredients|indian foods",
            r"creamer|yogurt|ice cream|frozen dessert|coffee",
        ),
        Match(
            r"coconut (?:cream|beverage)|(?:almond|cashew|soy|oat) ?milk",
            "soy lactosefree|asian foods|milk|refrigerated|cream",
            r"creamer",
        ),
    ),
    J(
        "chocolate milk",
        "two-word",
        Match(
            r"chocolate.*\bmilk\b|\bmilk\b.*chocolate", f"{MILK_AISLES}", r"creamer|chocolate bar"
        ),
        Match(r"\bmilk\b|cocoa|hot chocolate", f"{MILK_AISLES}|cocoa drink mixes", r"creamer"),
    ),
    J(
        "whole milk",
        "two-word",
        Match(
            r"\bwhole\b.*\bmilk\b",
            "milk|soy lactosefree|refrigerated",
            r"yogurt|creamer|kefir|cheese",
        ),
        Match(
            r"\bmilk\b",
            "milk|soy lactosefree",
            r"creamer|chocolate|strawberry|almond|soy|coconut|oat|rice|cashew|goat",
        ),
    ),
    J(
        "lactose free milk",
        "diet",
        Match(
            r"lactose.?free.*\bmilk\b|\bmilk\b.*lactose.?free|lactaid",
            "soy lactosefree|milk|refrigerated",
            r"yogurt|creamer|ice cream|cheese",
        ),
        Match(
            r"lactose.?free|(?:almond|cashew|coconut|soy|oat|rice) ?milk",
            "soy lactosefree|milk|refrigerated|cream|yogurt|packaged cheese",
            r"creamer",
        ),
    ),
    J(
        "greek yogurt",
        "two-word",
        Match(r"greek.*yogh?urt|yogh?urt.*greek", "yogurt", r"bar\b|covered|dip\b|pretzel"),
        Match(r"yogh?urt|skyr|\bquark\b", "yogurt"),
    ),
    J(
        "string cheese",
        "two-word",
        Match(
            r"string cheese|cheese sticks?|mozzarella sticks?|stringles|string",
            "packaged cheese|other creams cheeses|specialty cheeses",
            r"snack pack crackers",
        ),
        Match(r"cheese", "packaged cheese", r"shredded|grated|slices|block"),
    ),
    J(
        "cream cheese",
        "two-word",
        Match(
            r"cream cheese|neufchatel|philadelphia",
            "other creams cheeses|packaged cheese|breakfast bakery|spreads",
            r"frosting|cake|bagel|danish|brownie",
        ),
        Match(r"cream cheese|neufchatel|mascarpone|cheese spread", FOOD),
    ),
    J(
        "sour cream",
        "two-word",
        Match(
            r"sour cream",
            "other creams cheeses|cream|fresh dips tapenades",
            r"chips?\b|dip\b|onion|crisps",
        ),
        Match(
            r"sour cream|creme fraiche|crema",
            "other creams cheeses|cream|fresh dips tapenades|yogurt",
        ),
    ),
    J(
        "cottage cheese",
        "two-word",
        Match(r"cottage cheese", "other creams cheeses|packaged cheese|yogurt"),
        Match(r"cottage|ricotta|farmer cheese", "other creams cheeses|packaged cheese|yogurt"),
    ),
    J(
        "heavy cream",
        "two-word",
        Match(r"heavy (?:whipping )?cream|whipping cream", "cream|other creams cheeses|milk"),
        Match(r"\bcream\b|half (?:&|and) half", "cream|milk", r"cheese|sour|ice|creamer"),
    ),
    J(
        "half and half",
        "two-word",
        Match(r"half (?:&|and) half|half-and-half", "cream|milk|soy lactosefree"),
        Match(r"\bcream\b|creamer", "cream|milk|soy lactosefree", r"sour|ice|cheese"),
    ),
    J(
        "cheddar cheese",
        "two-word",
        Match(
            r"cheddar",
            CHEESE,
            r"crackers?|bread|macaroni|chips|sauce|dip\b|spread|soup|popcorn|crisps?|puffs",
        ),
        Match(r"cheese|colby|monterey", CHEESE),
    ),
    J(
        "parmesan",
        "type",
        Match(
            r"parmesan|parmigiano|parmigiana|reggiano|grana padano",
            CHEESE,
            r"crisps?\b|dressing|crackers",
        ),
        Match(r"parmesan|romano|asiago|pecorino|reggiano", f"{FOOD}", r"crisps?\b"),
    ),
    J(
        "mozzarella",
        "type",
        Match(r"mozz?arr?ella|burrata|bocconcini", CHEESE, r"sticks? (?:breaded|appetizer)|pizza"),
        Match(r"mozz?arr?ella|burrata", f"{FOOD}"),
    ),
    J("feta", "type", Match(r"\bfeta\b", CHEESE), Match(r"\bfeta\b|goat cheese|chevre", FOOD)),
    J(
        "goat cheese",
        "two-word",
        Match(r"goat.*cheese|chevre|goat milk.*(?:log|crumbles?)", CHEESE),
        Match(r"\bgoat\b|\bfeta\b|sheep", CHEESE),
    ),
    J(
        "orange juice",
        "two-word",
        Match(
            r"orange juice|\boj\b|orange.*juice(?! drink| cocktail)|valencia orange|simply orange",
            "juice nectars|refrigerated|frozen juice",
            r"pineapple|mango|carrot|\bcranberry\b|banana|strawberry|tangerine|grapefruit|apple",
        ),
        Match(
            r"juice|orange", "juice nectars|refrigerated|frozen juice", r"lemonade|tea\b|kombucha"
        ),
    ),
    J(
        "apple juice",
        "two-word",
        Match(
            r"apple.*juice|apple cider\b(?! vinegar)",
            "juice nectars|refrigerated|frozen juice",
            r"pineapple|carrot|cranberry|grape|mango|vinegar|kale|spinach|orange",
        ),
        Match(r"juice|cider", "juice nectars|refrigerated|frozen juice", r"vinegar|kombucha"),
    ),
    J(
        "coconut water",
        "two-word",
        Match(
            r"coconut water",
            "juice nectars|refrigerated|water seltzer sparkling water|energy sports drinks",
            r"shampoo|lotion",
        ),
        Match(r"coconut (?:juice|beverage|drink)|coconut water", f"{FOOD}"),
    ),
    J(
        "sparkling water",
        "two-word",
        Match(
            r"sparkling|seltzer|soda water|club soda|mineral water|carbonated",
            "water seltzer sparkling water|soft drinks",
            r"juice|wine|cider|lemonade",
        ),
        Match(r"water", "water seltzer sparkling water"),
    ),
    J(
        "peanut butter",
        "two-word",
        Match(
            r"peanut butter(?! cups?| cookies?| crackers?| bars?| filled| pretzels?| cereal| chips?| puffs| wafers?)",
            "spreads|bulk dried fruits vegetables",
            r"cups?\b|cookies?|crackers?|bars?\b|pretzels?|cereal|puffs|chocolate",
        ),
        Match(
            r"(?:almond|cashew|sunflower|nut|seed|peanut|hazelnut) ?butter|peanut spread",
            "spreads|bulk dried fruits vegetables",
        ),
    ),
    J(
        "olive oil",
        "two-word",
        Match(r"olive oil", "oils vinegars", r"spray|dressing|vinaigrette|tuna|sardines|chips"),
        Match(r"\boil\b", "oils vinegars", r"spray"),
    ),
    J(
        "soy sauce",
        "two-word",
        Match(
            r"soy sauce|tamari|shoyu",
            "asian foods|condiments|marinades meat preparation",
            r"almonds?\b|crackers?|seeds?\b|chips",
        ),
        Match(
            r"soy|teriyaki|coconut aminos|liquid aminos|fish sauce|ponzu",
            "asian foods|condiments|marinades meat preparation",
        ),
    ),
    J(
        "hot sauce",
        "two-word",
        Match(
            r"hot sauce|sriracha|tabasco|pepper sauce|chili sauce|buffalo sauce|habanero sauce|chipotle sauce|hot pepper sauce",
            "condiments|asian foods|latino foods|marinades meat preparation|preserved dips spreads",
            r"chips?\b|mayo|ketchup|hummus",
        ),
        Match(
            r"hot\b|sriracha|chili|salsa|pepper sauce|buffalo",
            "condiments|asian foods|latino foods|marinades meat preparation",
            r"chips?\b",
        ),
    ),
    J(
        "pasta sauce",
        "two-word",
        Match(
            r"pasta sauce|marinara|tomato basil sauce|arrabbiata|bolognese|vodka sauce|alfredo|pesto|puttanesca|tomato sauce|spaghetti sauce|\bsauce\b",
            "pasta sauce",
            r"pizza sauce",
        ),
        Match(r"sauce|pesto", "pasta sauce|canned jarred vegetables|fresh pasta|condiments"),
    ),
    J(
        "maple syrup",
        "two-word",
        Match(
            r"maple syrup|pure maple",
            "honeys syrups nectars|bulk dried fruits vegetables|hot cereal pancake mixes",
            r"sausage|bacon|oatmeal|cereal|granola",
        ),
        Match(r"syrup|maple", "honeys syrups nectars|hot cereal pancake mixes", r"sausage|oatmeal"),
    ),
    J(
        "chicken breast",
        "two-word",
        Match(
            r"chicken breasts?|breast.*chicken",
            "packaged poultry|poultry counter|frozen meat seafood|meat counter|lunch meat",
            r"nuggets|patties|strips?|tenders|breaded|fried|bites|sausage|soup|cat|dog",
        ),
        Match(
            r"\bchicken\b",
            "packaged poultry|poultry counter|frozen meat seafood|meat counter",
            r"sausage|nuggets|patties|breaded",
        ),
    ),
    J(
        "ground beef",
        "two-word",
        Match(
            r"ground beef|\bground\b.*\bbeef\b|beef.*\bground\b|\bground chuck|\bground sirloin|hamburger",
            "meat counter|packaged meat|frozen meat seafood|packaged poultry",
            r"patties|burger|jerky|sausage",
        ),
        Match(
            r"\bbeef\b|ground (?:turkey|bison|pork|lamb|chicken)",
            "meat counter|packaged meat|frozen meat seafood|packaged poultry|poultry counter",
            r"jerky|sausage|hot dog|franks",
        ),
    ),
    J(
        "tortilla chips",
        "two-word",
        Match(
            r"tortilla chips?|corn chips?|tortilla strips|tostada chips",
            "chips pretzels|latino foods",
        ),
        Match(
            r"chips?|crisps",
            "chips pretzels|latino foods",
            r"potato|kettle|pita|bagel|apple|banana|coconut|veggie|kale",
        ),
    ),
    J(
        "potato chips",
        "two-word",
        Match(
            r"potato chips?|kettle (?:cooked )?chips?|\bkettle\b|ruffles|\blay'?s\b|pringles|\bchips\b",
            "chips pretzels",
            r"tortilla|corn|pita|bagel|veggie|apple|kale|rice|chickpea|lentil|plantain|sweet potato|coconut|pretzels?|popcorn",
        ),
        Match(r"chips?|crisps|puffs", "chips pretzels"),
    ),
    J(
        "frozen pizza",
        "two-word",
        Match(
            r"pizza",
            "frozen pizza|frozen meals|frozen appetizers sides|frozen vegan vegetarian",
            r"sauce|dough|crust mix|rolls|bites|seasoning",
        ),
        Match(
            r"pizza|flatbread",
            "frozen pizza|frozen meals|frozen appetizers sides|frozen vegan vegetarian|frozen breads doughs|prepared meals",
        ),
    ),
    J(
        "frozen blueberries",
        "two-word",
        Match(r"blueberr(?:y|ies)", "frozen produce", r"waffles|pancakes|muffins"),
        Match(r"blueberr(?:y|ies)", f"{PRODUCE}|frozen produce|{DRIED}"),
    ),
    J(
        "paper towels",
        "two-word",
        Match(r"paper towels?|towel rolls?|select-a-size|choose-a-sheet", "paper goods"),
        Match(r"towels?|napkins|tissue", "paper goods|more household"),
    ),
    J(
        "toilet paper",
        "two-word",
        Match(
            r"toilet paper|bath tissue|toilet tissue|bathroom tissue", "paper goods|more household"
        ),
        Match(r"tissue|paper", "paper goods", r"towels?|plates?|cups?|bags?"),
    ),
    J(
        "dish soap",
        "two-word",
        Match(
            r"dish (?:soap|liquid|detergent|wash)|dishwashing liquid|dish washing liquid|liquid dish",
            "dish detergents|cleaning products",
        ),
        Match(r"dish|dishwasher", "dish detergents|cleaning products"),
    ),
    J(
        "laundry detergent",
        "two-word",
        Match(
            r"detergent|laundry (?:pacs|pods|liquid|powder)|washing (?:liquid|powder)",
            "laundry|cleaning products",
            r"dish|dishwasher|stain",
        ),
        Match(r".", "laundry"),
    ),
    J(
        "hand soap",
        "two-word",
        Match(
            r"hand (?:soap|wash)|(?:liquid|foaming) soap|hand.*soap",
            "soap|body lotions soap|more household|cleaning products|baby bath body care",
            r"dish|bar soap",
        ),
        Match(
            r"soap|hand (?:sanitizer|wash)",
            "soap|body lotions soap|baby bath body care",
            r"dish|laundry",
        ),
    ),
    J(
        "cat food",
        "two-word",
        Match(r".", "cat food care", r"litter|toy|scoop|flea|treats?"),
        Match(r".", "cat food care|dog food care", r"litter|dog(?! food)"),
    ),
    J(
        "dog food",
        "two-word",
        Match(
            r".",
            "dog food care",
            r"poop|bags?|toy|shampoo|flea|cat|treats?|biscuits?|snacks|chews?|bones?|jerky",
        ),
        Match(r".", "dog food care|cat food care", r"litter|cat"),
    ),
    J(
        "cat litter",
        "two-word",
        Match(r"litter", "cat food care"),
        Match(r".", "cat food care", r"food"),
    ),
    J(
        "english muffins",
        "two-word",
        Match(r"english muffins?", "breakfast bakery|bread|frozen breads doughs|buns rolls"),
        Match(
            r"muffins?|bagels?|crumpets?",
            "breakfast bakery|bread|frozen breads doughs|buns rolls|frozen breakfast",
        ),
    ),
    J(
        "hot dogs",
        "two-word",
        Match(
            r"hot dogs?|franks?\b|frankfurters?|wieners?",
            "hot dogs bacon sausage|packaged meat|meat counter|frozen meat seafood|tofu meat alternatives|packaged poultry",
            r"buns?\b|rolls?\b",
        ),
        Match(
            r"sausages?|bratwurst|hot dog buns?|\bbuns?\b",
            "hot dogs bacon sausage|buns rolls|packaged meat|meat counter",
        ),
    ),
    J(
        "chicken broth",
        "two-word",
        Match(
            r"chicken.*(?:broth|stock|bone broth)|(?:broth|stock).*chicken",
            "soup broth bouillon|canned meals beans",
            r"soup\b|noodle",
        ),
        Match(r"broth|stock|bouillon", "soup broth bouillon"),
    ),
    J(
        "black beans",
        "two-word",
        Match(
            r"black beans?",
            "canned meals beans|grains rice dried goods|bulk grains rice dried goods|latino foods|canned jarred vegetables|frozen produce",
            r"chips|pasta|soup|burger|dip|rice",
        ),
        Match(
            r"beans?\b",
            "canned meals beans|grains rice dried goods|bulk grains rice dried goods|latino foods|canned jarred vegetables",
            r"green|coffee|jelly|vanilla|chips|soup",
        ),
    ),
    J(
        "baking soda",
        "two-word",
        Match(
            r"baking soda|bicarbonate",
            "baking ingredients|laundry|more household|cleaning products|bulk grains rice dried goods",
            r"toothpaste|deodorant|detergent|cat litter",
        ),
        Match(r"baking (?:powder|soda)|\byeast\b|cream of tartar", "baking ingredients"),
    ),
    J(
        "vanilla extract",
        "two-word",
        Match(
            r"vanilla.*(?:extract|flavor(?:ing)?\b)|vanilla bean paste|extract.*vanilla",
            "baking ingredients|spices seasonings",
            r"sugar|powder|syrup|marshmallow",
        ),
        Match(r"extract|vanilla bean", "baking ingredients|spices seasonings"),
    ),
    J(
        "energy drink",
        "two-word",
        Match(
            r"energy|red bull|monster|rockstar",
            "energy sports drinks|soft drinks|tea|refrigerated|coffee",
            r"bars?\b|chews|gel\b|bites|shot\b(?!s)",
        ),
        Match(
            r"energy|sports drink|electrolyte|caffeine",
            "energy sports drinks|soft drinks|refrigerated|coffee|tea|juice nectars",
        ),
    ),
    J(
        "protein bar",
        "two-word",
        Match(
            r"protein.*bars?|bars?.*protein|clif builder|quest bar|rxbar",
            "energy granola bars|protein meal replacements|breakfast bars pastries",
        ),
        Match(r"bars?\b", "energy granola bars|protein meal replacements|breakfast bars pastries"),
    ),
    J(
        "granola bars",
        "two-word",
        Match(
            r"granola.*bars?|chewy bars?|nut bars?|oat bars?|cereal bars?",
            "energy granola bars|breakfast bars pastries|cereal",
        ),
        Match(r"bars?\b", "energy granola bars|breakfast bars pastries|protein meal replacements"),
    ),
    J(
        "chocolate chip cookies",
        "two-word",
        Match(
            r"chocolate chip.*cookies?|choc(?:olate)? chip(?:s)? cookies?|chips ahoy",
            "cookies cakes|bakery desserts|kosher foods|frozen breads doughs|refrigerated",
            r"dough|ice cream",
        ),
        Match(
            r"cookies?",
            "cookies cakes|bakery desserts|kosher foods|frozen breads doughs|frozen dessert",
        ),
    ),
    J(
        "mac and cheese",
        "two-word",
        Match(
            r"mac(?:aroni)?\s*(?:&|and|n'?)\s*chee[sz]e|shells? (?:&|and) cheese|macaroni",
            "instant foods|frozen meals|prepared meals|dry pasta|kosher foods|canned meals beans|baby food formula|frozen appetizers sides|frozen vegan vegetarian",
        ),
        Match(r"cheese|pasta", "instant foods|frozen meals"),
    ),
    J(
        "ramen",
        "type",
        Match(r"ramen", "asian foods|instant foods|soup broth bouillon|frozen meals|kosher foods"),
        Match(
            r"noodles?|udon|soba|pho\b|miso soup",
            "asian foods|instant foods|soup broth bouillon|frozen meals",
        ),
    ),
    J(
        "cold brew coffee",
        "two-word",
        Match(
            r"cold brew",
            "coffee|refrigerated|soy lactosefree|tea|energy sports drinks|missing",
            r"ice cream|creamer",
        ),
        Match(
            r"coffee|espresso|latte|mocha",
            "coffee|refrigerated|soy lactosefree|energy sports drinks",
            r"creamer|ice cream|beans\b|ground|k-?cups?|pods",
        ),
    ),
    J(
        "red wine",
        "two-word",
        Match(r".", "red wines", r"vinegar"),
        Match(r".", "white wines|specialty wines champagnes"),
    ),
    J(
        "beer",
        "type",
        Match(r".", "beers coolers", r"\bsoda\b|kombucha|cider\b|hard seltzer|spritz"),
        Match(
            r"beer|ale\b|lager|ipa\b|stout|pilsner|porter|cider",
            "beers coolers|specialty wines champagnes",
        ),
    ),
    J(
        "baby food",
        "category",
        Match(r".", "baby food formula", r"formula|bottle"),
        Match(r".", "baby food formula|baby accessories"),
    ),
    J(
        "baby wipes",
        "two-word",
        Match(r"wipes", "diapers wipes|baby bath body care|baby accessories"),
        Match(r"wipes|diapers?", "diapers wipes|baby bath body care"),
    ),
    # --- diets and attributes
    J(
        "gluten free bread",
        "diet",
        Match(
            r"gluten.?free.*\b(?:bread|loaf|bagels?|buns?|rolls?|english muffins?)\b|\b(?:bread|loaf|bagels?|buns?|rolls?|english muffins?)\b.*gluten.?free",
            "bread|breakfast bakery|frozen breads doughs|buns rolls|tortillas flat bread|kosher foods",
            r"crumbs?|breaded|mix\b|cake",
        ),
        Match(
            r"\bbread\b|\bloaf\b|gluten.?free",
            "bread|breakfast bakery|frozen breads doughs|buns rolls|tortillas flat bread",
            r"crumbs?|breaded",
        ),
    ),
    J(
        "gluten free pasta",
        "diet",
        Match(
            r"(?:gluten.?free|rice|corn|quinoa|chickpea|lentil|bean|brown rice).*(?:pasta|spaghetti|penne|fusilli|rotini|macaroni|elbows?|shells|linguine|lasagn|noodles?)|(?:pasta|spaghetti|penne|fusilli|rotini|macaroni|shells).*gluten.?free",
            "dry pasta|fresh pasta|instant foods|asian foods|grains rice dried goods|frozen meals",
            r"sauce|cheese|soup",
        ),
        Match(
            r"pasta|spaghetti|penne|fusilli|rotini|macaroni|noodles?",
            "dry pasta|fresh pasta|instant foods",
            r"sauce|cheese",
        ),
    ),
    J(
        "gluten free crackers",
        "diet",
        Match(
            r"(?:gluten.?free|rice|nut|seed|flax|almond flour|cassava|chickpea|quinoa).*(?:crackers?|crisps|thins)|(?:crackers?|crisps|thins).*gluten.?free",
            "crackers|chips pretzels",
            r"graham",
        ),
        Match(r"crackers?|crisps|thins|rice cakes?", "crackers|chips pretzels"),
    ),
    J(
        "vegan cheese",
        "diet",
        Match(
            r"(?:vegan|dairy.?free|non.?dairy|plant.?based|daiya|cashew|almond|nut|violife|follow your heart|kite hill|miyoko|field roast).*(?:chee[sz]e|cheddar|mozzarella|parmesan|ricotta|cream cheese|shreds|slices)|chee[sz]e.*(?:vegan|dairy.?free|daiya)|\bcheeze\b",
            f"{CHEESE}|soy lactosefree|tofu meat alternatives|refrigerated|frozen vegan vegetarian",
            r"crackers|pizza|macaroni|puffs|sauce|lasagna",
        ),
        Match(
            r"vegan|dairy.?free|cheese|nutritional yeast",
            f"{CHEESE}|soy lactosefree|tofu meat alternatives|refrigerated",
            r"crackers",
        ),
    ),
    J(
        "dairy free yogurt",
        "diet",
        Match(
            r"(?:dairy.?free|non.?dairy|vegan|plant.?based|soy|almond ?milk|coconut ?milk|cashew ?milk|oat ?milk|coconut|almond|cashew|oat|so delicious|kite hill|silk).*(?:yogh?urt|cultured|alternative)|(?:yogh?urt|cultured).*(?:dairy.?free|non.?dairy|vegan|plant.?based|soy|almond|coconut|cashew|oat)",
            "yogurt|soy lactosefree|refrigerated",
            r"\bgreek\b(?!.*dairy.?free)|goat|sheep|kefir|smoothie|cow",
        ),
        Match(r"yogh?urt", "yogurt|soy lactosefree|refrigerated"),
    ),
    J(
        "organic eggs",
        "diet",
        Match(r"organic.*\beggs?\b|\beggs?\b.*organic", "eggs", r"whites|substitute|beaters"),
        Match(r"\beggs?\b", "eggs", r"substitute|beaters"),
    ),
    J(
        "organic milk",
        "diet",
        Match(
            r"organic.*\bmilk\b|\bmilk\b.*organic",
            "milk|soy lactosefree|refrigerated",
            r"creamer|yogurt|kefir|chocolate bar|almond|soy|coconut|cashew|oat|rice|goat",
        ),
        Match(r"\bmilk\b", "milk|soy lactosefree|refrigerated", r"creamer"),
    ),
    J(
        "low fat milk",
        "diet",
        Match(
            r"(?:low ?fat|lowfat|1%|2%|reduced fat|fat free|skim|nonfat).*\bmilk\b|\bmilk\b.*(?:low ?fat|lowfat|1%|2%|reduced fat|fat free|skim|nonfat)",
            "milk|soy lactosefree|refrigerated",
            r"creamer|yogurt|kefir|chocolate bar",
        ),
        Match(r"\bmilk\b", "milk|soy lactosefree", r"creamer|whole"),
    ),
    J(
        "unsweetened almond milk",
        "diet",
        Match(
            r"unsweetened.*almond ?milk|almond ?milk.*unsweetened|unsweetened.*almond breeze|almond breeze.*unsweetened",
            "soy lactosefree|milk|refrigerated|cream",
        ),
        Match(
            r"almond ?milk|almond breeze|unsweetened.*(?:milk|beverage)",
            "soy lactosefree|milk|refrigerated|cream",
            r"creamer",
        ),
    ),
    J(
        "decaf coffee",
        "diet",
        Match(r"decaf", "coffee", r"tea"),
        Match(r"coffee|espresso", "coffee", r"creamer|filter"),
    ),
    J(
        "sugar free gum",
        "diet",
        Match(
            r"(?:sugar.?free|sugarfree|xylitol).*gum|gum.*(?:sugar.?free|sugarfree|xylitol)",
            "mint gum",
        ),
        Match(r"\bgum\b|mints?\b", "mint gum"),
    ),
    J(
        "veggie burger",
        "diet",
        Match(
            r"(?:veggie|vegan|vegetarian|meatless|plant.?based|black bean|beyond|garden|quinoa|falafel|chickpea|lentil|portobello|mushroom).*(?:burgers?|patt(?:y|ies))",
            "frozen vegan vegetarian|tofu meat alternatives|frozen meat seafood|refrigerated|frozen meals",
        ),
        Match(
            r"burgers?|patt(?:y|ies)|veggie|meatless|vegetarian",
            "frozen vegan vegetarian|tofu meat alternatives",
        ),
    ),
    J(
        "whole wheat pasta",
        "diet",
        Match(
            r"(?:whole wheat|whole grain|wholegrain|100% whole).*(?:pasta|spaghetti|penne|fusilli|rotini|linguine|macaroni|elbows|shells|lasagn|noodles|fettuccine|farfalle|angel hair|spirals)",
            "dry pasta|fresh pasta",
        ),
        Match(r".", "dry pasta|fresh pasta"),
    ),
    J(
        "non dairy creamer",
        "diet",
        Match(
            r"(?:non.?dairy|dairy.?free|almond|coconut|soy|oat|plant.?based|cashew|vegan).*creamer|creamer.*(?:non.?dairy|dairy.?free|almond|coconut|soy|oat|plant)",
            "soy lactosefree|cream|coffee|refrigerated|milk",
        ),
        Match(r"creamer", "soy lactosefree|cream|coffee|refrigerated|milk"),
    ),
    J(
        "keto snacks",
        "diet",
        Match(
            r"keto|low carb|pork rinds?|cheese crisps|whisps|parmesan crisps",
            "chips pretzels|popcorn jerky|crackers|energy granola bars|trail mix snack mix|nuts seeds dried fruit|candy chocolate|packaged cheese|protein meal replacements|cookies cakes",
        ),
        Match(
            r"jerky|nuts\b|almonds|pork|cheese crisps|seeds",
            "chips pretzels|popcorn jerky|nuts seeds dried fruit|trail mix snack mix",
        ),
    ),
    # --- brands (Instacart keeps some brands in names)
    J(
        "cheerios",
        "brand",
        Match(r"cheerios", "cereal"),
        Match(
            r"cheerios|\bo'?s\b|toasted oats?", "cereal|breakfast bars pastries|energy granola bars"
        ),
    ),
    J("pampers", "brand", Match(r"pampers", ".*"), Match(r"diapers?|wipes", "diapers wipes")),
    J(
        "oreo",
        "brand",
        Match(
            r"oreo",
            "cookies cakes|candy chocolate|ice cream ice|frozen dessert|breakfast bars pastries|cereal|baking supplies decor|bakery desserts",
        ),
        Match(r"sandwich cookies?|cookies?", "cookies cakes"),
    ),
    J(
        "philadelphia cream cheese",
        "brand",
        Match(r"philadelphia", "other creams cheeses|packaged cheese"),
        Match(r"cream cheese|neufchatel", "other creams cheeses|packaged cheese"),
    ),
    J(
        "almond breeze",
        "brand",
        Match(
            r"almond breeze|blue diamond",
            "soy lactosefree|milk|refrigerated|cream|nuts seeds dried fruit|crackers",
        ),
        Match(r"almond ?milk", "soy lactosefree|milk|refrigerated|cream", r"creamer"),
    ),
    J(
        "goldfish crackers",
        "brand",
        Match(r"goldfish", "crackers|chips pretzels|cookies cakes"),
        Match(r"crackers?", "crackers"),
    ),
    J(
        "wheat thins",
        "brand",
        Match(r"wheat thins", "crackers"),
        Match(r"crackers?|thins\b|triscuit", "crackers"),
    ),
    J(
        "triscuit",
        "brand",
        Match(r"triscuit", "crackers"),
        Match(r"crackers?|wheat thins|thins\b", "crackers"),
    ),
    J(
        "cheez it",
        "brand",
        Match(r"cheez.?it", "crackers|chips pretzels"),
        Match(r"cheese crackers?|cheddar crackers?|goldfish|crackers?", "crackers"),
    ),
    J(
        "ritz crackers",
        "brand",
        Match(r"\britz\b", "crackers|cookies cakes|candy chocolate"),
        Match(r"crackers?", "crackers"),
    ),
    J("activia", "brand", Match(r"activia", "yogurt"), Match(r"yogh?urt|probiotic", "yogurt")),
    J(
        "oikos",
        "brand",
        Match(r"oikos", "yogurt"),
        Match(r"greek.*yogh?urt|yogh?urt.*greek", "yogurt"),
    ),
    J("newman's own", "brand", Match(r"newman", ".*"), ()),
    J(
        "honest wipes",
        "brand",
        Match(r"\bhonest\b.*wipes", ".*"),
        (Match(r"\bhonest\b", ".*"), Match(r"wipes", "diapers wipes|baby bath body care")),
    ),
    J(
        "pepperidge farm goldfish",
        "brand",
        Match(r"goldfish", "crackers|chips pretzels|cookies cakes"),
        Match(r"pepperidge|crackers?", "crackers"),
    ),
    J(
        "daiya",
        "brand",
        Match(r"daiya", ".*"),
        Match(
            r"(?:vegan|dairy.?free|non.?dairy).*chee[sz]e|cheeze",
            f"{CHEESE}|soy lactosefree|frozen pizza|frozen vegan vegetarian|refrigerated",
        ),
    ),
    J(
        "talenti gelato",
        "brand",
        Match(r"talenti", "ice cream ice|frozen dessert"),
        Match(r"gelato|sorbetto|sorbet|ice cream", "ice cream ice|frozen dessert"),
    ),
    J(
        "quaker oats",
        "brand",
        Match(r"quaker", ".*"),
        Match(
            r"oats\b|oatmeal",
            "hot cereal pancake mixes|cereal|granola|bulk grains rice dried goods",
        ),
    ),
    J(
        "perrier",
        "brand",
        Match(r"perrier", "water seltzer sparkling water|soft drinks"),
        Match(r"sparkling|mineral water|seltzer", "water seltzer sparkling water"),
    ),
    J(
        "heinz ketchup",
        "brand",
        Match(r"heinz.*ketchup|ketchup.*heinz", "condiments"),
        Match(r"ketchup|catsup|heinz", "condiments"),
    ),
    # --- typos and spelling variants, as shoppers type them
    J(
        "strawbery",
        "typo",
        Match(r"\bstrawberr?(?:y|ies)\b", PRODUCE),
        Match(r"\bstrawberr?(?:y|ies)\b", f"{FROZEN}|{DRIED}"),
    ),
    J(
        "orgnic blueberies",
        "typo",
        Match(
            r"organic.*blueberr?(?:y|ies)|blueberr?(?:y|ies).*organic",
            f"{PRODUCE}|frozen produce",
            r"waffles|muffins|pancakes",
        ),
        Match(
            r"blueberr?(?:y|ies)", f"{PRODUCE}|frozen produce|{DRIED}", r"waffles|muffins|pancakes"
        ),
    ),
    J(
        "bananna",
        "typo",
        Match(r"\bbananas?\b", FRUIT),
        Match(r"\bbananas?\b", f"{FROZEN}|{DRIED}", r"puree|stage"),
    ),
    J(
        "avacado",
        "typo",
        Match(r"\bavocados?\b", PRODUCE),
        Match(r"\bguacamole\b|\bavocados?\b", "fresh dips tapenades|frozen produce"),
    ),
    J("brocoli", "typo", Match(r"\bbroccoli\b", PRODUCE), Match(r"\bbroccoli\b", f"{FROZEN}")),
    J(
        "tomatos",
        "typo",
        Match(r"\btomato(?:es)?\b(?! ?sauce| paste)", PRODUCE),
        Match(
            r"\btomato(?:es)?\b", f"{CANNED}|frozen produce|{DRIED}", r"sauce|soup|juice|ketchup"
        ),
    ),
    J(
        "potatos",
        "typo",
        Match(r"\bpotato(?:es)?\b(?! chips)", PRODUCE),
        Match(r"\bpotato(?:es)?\b", "frozen produce|frozen appetizers sides", r"chips"),
    ),
    J(
        "yoghurt",
        "variant",
        Match(r"\byogh?urts?\b", "yogurt", r"pretzel|raisin|covered|bar\b"),
        Match(r"\byogh?urt|kefir|skyr\b", "yogurt|baby food formula"),
    ),
    J("spinnach", "typo", Match(r"\bspinach\b", PRODUCE), Match(r"\bspinach\b", f"{FROZEN}")),
    J(
        "chedar cheese",
        "typo",
        Match(
            r"cheddar",
            CHEESE,
            r"crackers?|bread|macaroni|chips|sauce|dip\b|spread|soup|popcorn|crisps?|puffs",
        ),
        Match(r"cheese|colby|monterey", CHEESE),
    ),
    J(
        "mozarella",
        "typo",
        Match(r"mozz?arr?ella|burrata|bocconcini", CHEESE, r"sticks? (?:breaded|appetizer)|pizza"),
        Match(r"mozz?arr?ella|burrata", f"{FOOD}"),
    ),
    J(
        "parmesean",
        "typo",
        Match(
            r"parmesan|parmigiano|parmigiana|reggiano|grana padano",
            CHEESE,
            r"crisps?\b|dressing|crackers",
        ),
        Match(r"parmesan|romano|asiago|pecorino|reggiano", f"{FOOD}", r"crisps?\b"),
    ),
    J(
        "cinammon",
        "typo",
        Match(
            r"cinnamon",
            "spices seasonings|bulk dried fruits vegetables|baking ingredients",
            r"sugar|raisin|apple",
        ),
        Match(r"cinnamon", "spices seasonings|bulk dried fruits vegetables|baking ingredients"),
    ),
    J(
        "jalepeno",
        "typo",
        Match(r"jalapeno", PRODUCE),
        Match(
            r"jalapeno",
            f"pickled goods olives|canned jarred vegetables|latino foods|{FROZEN}|condiments",
        ),
    ),
    J(
        "zuchini",
        "typo",
        Match(r"zucchini", PRODUCE),
        Match(r"zucchini|squash", f"{PRODUCE}|{FROZEN}"),
    ),
    J(
        "lettuse",
        "typo",
        Match(
            r"lettuce|romaine|spring mix|salad mix|mixed greens|arugula|butter leaf|iceberg",
            PRODUCE,
        ),
        Match(r"salad|greens", PRODUCE),
    ),
    J(
        "hummous",
        "typo",
        Match(
            r"\bhummus\b",
            "fresh dips tapenades|preserved dips spreads|spreads|packaged vegetables fruits",
            r"chips?\b|crackers?",
        ),
        Match(r"\bhummus\b", FOOD),
    ),
    J(
        "tumeric",
        "typo",
        Match(
            r"turmeric",
            "spices seasonings|bulk dried fruits vegetables|fresh vegetables|fresh herbs|vitamins supplements|packaged vegetables fruits",
        ),
        Match(r"turmeric|curcumin", f"{FOOD}"),
    ),
    J(
        "expresso",
        "variant",
        Match(r"espresso", "coffee", r"cold brew|creamer|chocolate"),
        Match(r"espresso|coffee", "coffee|energy sports drinks|refrigerated", r"creamer|ice cream"),
    ),
    J(
        "cerael",
        "typo",
        Match(r".", "cereal", r"bars?\b"),
        Match(r".", "granola|hot cereal pancake mixes|breakfast bars pastries"),
    ),
    J(
        "coffe",
        "typo",
        Match(r"coffee|espresso|cold brew|\broast\b", "coffee", r"creamer|filter"),
        Match(
            r"coffee|espresso|cold brew",
            f"(?!{PERSONAL}|ice cream ice).*",
            r"creamer|filter|ice cream|cake",
        ),
    ),
    J(
        "sausge",
        "typo",
        Match(
            r"sausages?\b|bratwurst|chorizo|kielbasa|links\b",
            "hot dogs bacon sausage|meat counter|packaged meat|packaged poultry|frozen meat seafood|frozen breakfast|tofu meat alternatives",
            r"pizza|biscuit|sandwich|burrito",
        ),
        Match(r"sausages?|bratwurst|chorizo|kielbasa|hot dogs?|franks", f"{FOOD}", r"pizza"),
    ),
    J(
        "chiken breast",
        "typo",
        Match(
            r"chicken breasts?|breast.*chicken",
            "packaged poultry|poultry counter|frozen meat seafood|meat counter|lunch meat",
            r"nuggets|patties|strips?|tenders|breaded|fried|bites|sausage|soup|cat|dog",
        ),
        Match(
            r"\bchicken\b",
            "packaged poultry|poultry counter|frozen meat seafood|meat counter",
            r"sausage|nuggets|patties|breaded",
        ),
    ),
    J(
        "peanut buter",
        "typo",
        Match(
            r"peanut butter(?! cups?| cookies?| crackers?| bars?| filled| pretzels?| cereal| chips?| puffs| wafers?)",
            "spreads|bulk dried fruits vegetables",
            r"cups?\b|cookies?|crackers?|bars?\b|pretzels?|cereal|puffs|chocolate",
        ),
        Match(
            r"(?:almond|cashew|sunflower|nut|seed|peanut|hazelnut) ?butter|peanut spread",
            "spreads|bulk dried fruits vegetables",
        ),
    ),
    J(
        "greek yougurt",
        "typo",
        Match(r"greek.*yogh?urt|yogh?urt.*greek", "yogurt", r"bar\b|covered|dip\b|pretzel"),
        Match(r"yogh?urt|skyr|\bquark\b", "yogurt"),
    ),
    J(
        "almondmilk",
        "variant",
        Match(
            r"almond ?milk|almond breeze(?!.*(?:ricotta|yogurt|creamer|ice|cheese|frozen|dessert|coffee))",
            "soy lactosefree|milk|refrigerated|missing|cream|juice nectars",
            r"ricotta|yogurt|creamer|ice cream|cheese|frozen dessert|coffee|latte|chocolate bar",
        ),
        Match(
            r"(?:cashew|coconut|soy|oat|rice|hemp|flax|pea) ?milk|almond ?milk",
            "soy lactosefree|milk|refrigerated|cream",
            r"creamer|ice cream",
        ),
    ),
    J(
        "doughnuts",
        "variant",
        Match(
            r"dou?ghnuts?|\bdonuts?\b",
            "breakfast bakery|bakery desserts|frozen breakfast|cookies cakes|breakfast bars pastries",
            r"holes? cereal",
        ),
        Match(
            r"dou?ghnut|\bdonut|pastr(?:y|ies)|crullers?|muffins?",
            "breakfast bakery|bakery desserts|frozen breakfast|cookies cakes|breakfast bars pastries|cereal",
        ),
    ),
    J(
        "chilli",
        "variant",
        Match(
            r"\bchil[il]i?\b(?! (?:powder|flakes|sauce|paste|oil|lime|pepper))|\bchil[il]i? (?:con carne|with beans|beans)",
            "canned meals beans|soup broth bouillon|frozen meals|prepared soups salads|prepared meals|instant foods",
            r"powder|flakes|sauce|oil",
        ),
        Match(r"\bchil[il]i?e?s?\b", FOOD),
    ),
    J(
        "whisky",
        "variant",
        Match(r"whiske?y|bourbon|scotch|rye\b", "spirits"),
        Match(r".", "spirits"),
    ),
    J(
        "bbq sauce",
        "variant",
        Match(
            r"(?:bbq|barbe[cq]ue) sauce|(?:bbq|barbecue)\b",
            "condiments|marinades meat preparation",
            r"chips|seasoning|rub\b",
        ),
        Match(r"sauce|marinade", "condiments|marinades meat preparation"),
    ),
    # --- category words (what the aisle sign would say)
    J(
        "fruit",
        "category",
        Match(
            r".",
            "fresh fruits|packaged vegetables fruits",
            r"salad kit|lettuce|spinach|kale|carrots?|celery|broccoli|peppers?|onions?|mushrooms?|herbs|greens|cucumber|tomato|squash|beans|peas\b|potato|slaw|cabbage|cauliflower|asparagus|sprouts|zucchini|beets?|radish|garlic|ginger|cilantro|basil|parsley|dill|thyme|rosemary|mint|chives|leeks?|scallions?|shallots?|corn\b",
        ),
        Match(
            r"fruit|berr(?:y|ies)|apples?|bananas?|mango|pineapple|grapes?|oranges?|peach",
            f"frozen produce|{DRIED}|canned fruit applesauce|fresh fruits",
        ),
    ),
    J(
        "vegetables",
        "category",
        Match(
            r".",
            "fresh vegetables|packaged vegetables fruits|fresh herbs",
            r"fruit|berr(?:y|ies)|apples?|bananas?|mango|pineapple|grapes?|oranges?|lemons?|limes?|pears?|peach|melon|kiwi|cherr(?:y|ies)|plums?|clementines?|mandarins?|avocados?|dates\b|figs?\b|apricots?|nectarines?",
        ),
        Match(
            r".",
            "frozen produce|canned jarred vegetables|fresh herbs|packaged produce|fresh vegetables",
        ),
    ),
    J(
        "frozen vegetables",
        "category",
        Match(
            r".",
            "frozen produce",
            r"fruit|berr(?:y|ies)|mango|pineapple|peach|cherr(?:y|ies)|banana|acai|smoothie|grapes?\b",
        ),
        Match(r".", "frozen produce|frozen appetizers sides|frozen vegan vegetarian"),
    ),
    J(
        "snacks",
        "category",
        Match(
            r".",
            "chips pretzels|crackers|popcorn jerky|trail mix snack mix|fruit vegetable snacks|nuts seeds dried fruit|energy granola bars|cookies cakes",
        ),
        Match(
            r".",
            "candy chocolate|fresh dips tapenades|preserved dips spreads|breakfast bars pastries",
        ),
    ),
    J(
        "juice",
        "category",
        Match(
            r"juice|nectar|lemonade|\bjuice\b|cider\b(?! vinegar)",
            "juice nectars|refrigerated|frozen juice|soft drinks|fruit vegetable snacks",
            r"cleanse|vinegar|kombucha",
        ),
        Match(r".", "juice nectars|frozen juice", r"vinegar"),
    ),
    J(
        "cheese",
        "category",
        Match(r".", CHEESE, r"crackers?|cake|danish|bread|dip\b"),
        Match(r"cheese|chee[sz]e|cheddar|mozzarella|parmesan", f"{FOOD}"),
    ),
    J(
        "candy",
        "category",
        Match(r".", "candy chocolate|mint gum", r"mints?\b|gum\b"),
        Match(r".", "candy chocolate|mint gum|ice cream toppings|baking supplies decor"),
    ),
    J(
        "seafood",
        "category",
        Match(
            r".",
            "seafood counter|packaged seafood|frozen meat seafood|canned meat seafood",
            r"\bbeef\b|chicken|turkey|pork|steak|burger|meatballs|lamb|bison|sausage",
        ),
        Match(
            r"fish|shrimp|salmon|tuna|crab|lobster|scallops?|cod\b|tilapia|sardines?|anchov|clams?|mussels|oysters?|seafood|prawns?|calamari|squid",
            f"(?!{PET}).*",
        ),
    ),
    J(
        "lunch meat",
        "category",
        Match(r".", "lunch meat", r"cheese|kit\b|lunchables"),
        Match(
            r"turkey|ham\b|salami|pepperoni|prosciutto|roast beef|bologna|chicken breast|deli",
            "lunch meat|packaged meat|hot dogs bacon sausage|specialty cheeses",
        ),
    ),
    J(
        "spices",
        "category",
        Match(r".", "spices seasonings", r"grinder(?!.*(?:salt|pepper))|mill\b|rack"),
        Match(
            r".",
            "spices seasonings|bulk dried fruits vegetables|marinades meat preparation|baking ingredients|fresh herbs",
        ),
    ),
    J(
        "soda",
        "category",
        Match(r".", "soft drinks", r"mixer|tonic water|club soda|seltzer|sparkling water"),
        Match(
            r"soda|cola|pop\b|ginger ale|root beer|sparkling|seltzer",
            "soft drinks|water seltzer sparkling water|energy sports drinks",
        ),
    ),
    J(
        "nuts",
        "category",
        Match(
            r"nuts?\b|almonds?|cashews?|walnuts?|pecans?|pistachios?|peanuts?|macadamia|hazelnuts?|pine nuts|brazil",
            "nuts seeds dried fruit|bulk dried fruits vegetables|trail mix snack mix|baking ingredients",
            r"butter|milk|bars?\b|chocolate|clusters|flour|bread",
        ),
        Match(
            r"nuts?\b|seeds|trail mix",
            "nuts seeds dried fruit|bulk dried fruits vegetables|trail mix snack mix|baking ingredients",
        ),
    ),
    J(
        "frozen dessert",
        "category",
        Match(
            r".",
            "ice cream ice|frozen dessert",
            r"cones?\b|toppings?|sprinkles|syrup|bowls?|scoop|\bice\b$|ice cubes?|bagged ice",
        ),
        Match(r".", "ice cream toppings|bakery desserts|refrigerated pudding desserts"),
    ),
    J(
        "bakery",
        "category",
        Match(r".", "bread|breakfast bakery|bakery desserts|buns rolls|tortillas flat bread"),
        Match(r".", "cookies cakes|frozen breads doughs|breakfast bars pastries"),
    ),
    J(
        "cleaning supplies",
        "category",
        Match(r".", "cleaning products|dish detergents|laundry|more household"),
        Match(
            r".",
            "air fresheners candles|paper goods|trash bags liners|food storage|kitchen supplies",
        ),
    ),
    J(
        "water",
        "category",
        Match(r"water", "water seltzer sparkling water", r"juice|flavor enhancer|drops|tonic"),
        Match(r".", "water seltzer sparkling water|energy sports drinks|juice nectars"),
    ),
    J(
        "pet food",
        "category",
        Match(
            r"food|dinner|pate|kibble|entree|recipe|feast|formula|chunks|cuts|stew|gravy|morsels",
            "cat food care|dog food care",
            r"litter|toy|poop|bags?\b|shampoo|flea|brush|bowl",
        ),
        Match(r".", "cat food care|dog food care"),
    ),
    J(
        "breakfast",
        "category",
        Match(
            r".",
            "cereal|breakfast bakery|frozen breakfast|hot cereal pancake mixes|breakfast bars pastries|granola",
        ),
        Match(
            r"breakfast|pancakes?|waffles?|oatmeal|eggs?\b|bacon|muffins?|bagels?|toast|cereal|granola|syrup",
            f"{FOOD}",
        ),
    ),
    # added 2026-12-08: more category and typo queries (their split is the hash's, as
    # for every query; the held-out set did not change)
    J(
        "beverages",
        "category",
        Match(
            r".",
            "soft drinks|juice nectars|water seltzer sparkling water|energy sports drinks|tea|coffee|cocoa drink mixes|refrigerated",
        ),
        Match(
            r".",
            "beers coolers|red wines|white wines|spirits|specialty wines champagnes|frozen juice|soy lactosefree|milk",
        ),
    ),
    J(
        "canned goods",
        "category",
        Match(
            r".",
            "canned jarred vegetables|canned fruit applesauce|canned meals beans|canned meat seafood|soup broth bouillon",
        ),
        Match(r".", "pickled goods olives|pasta sauce"),
    ),
    J(
        "chips",
        "category",
        Match(
            r"chips?\b|crisps|puffs|tortilla|doritos|cheetos|fritos|pringles",
            "chips pretzels",
            r"pretzels?",
        ),
        Match(r".", "chips pretzels|popcorn jerky|fruit vegetable snacks|crackers"),
    ),
    J(
        "cold medicine",
        "category",
        Match(r".", "cold flu allergy", r"allerg|sinus rinse|saline|eye"),
        Match(r".", "cold flu allergy|vitamins supplements|muscles joints pain relief"),
    ),
    J(
        "dips",
        "category",
        Match(
            r"\bdips?\b|hummus|salsa|guacamole|queso|tzatziki|spread|tapenade|baba",
            "fresh dips tapenades|preserved dips spreads",
        ),
        Match(r".", "fresh dips tapenades|preserved dips spreads|salad dressing toppings"),
    ),
    J(
        "first aid",
        "category",
        Match(r".", "first aid"),
        Match(r".", "muscles joints pain relief|cold flu allergy|eye ear care|digestion"),
    ),
    J(
        "fish",
        "category",
        Match(
            r"fish|salmon|tuna|cod\b|tilapia|halibut|trout|sardines?|anchov|mackerel|swordfish|mahi|haddock|sole\b|pollock|catfish|bass\b|snapper",
            "seafood counter|packaged seafood|frozen meat seafood|canned meat seafood",
            r"shrimp|crab|scallop|lobster|oil\b(?!.*(?:tuna|sardine|anchov|mackerel|salmon))|sauce|stick",
        ),
        Match(
            r"fish|salmon|tuna|cod\b|tilapia|halibut|trout|sardines?|shrimp|crab|scallop|seafood",
            f"(?!{PET}).*",
            r"sauce\b|oil\b|fish ?food",
        ),
    ),
    J(
        "frozen food",
        "category",
        Match(
            r".",
            f"{FROZEN}|frozen pizza|frozen breakfast|frozen meat seafood|frozen breads doughs|frozen dessert|ice cream ice|frozen juice",
        ),
    ),
    J(
        "salad",
        "category",
        Match(
            r"salad|lettuce|greens|romaine|spring mix|arugula|mesclun|spinach",
            "packaged vegetables fruits|fresh vegetables|prepared soups salads",
            r"dressing|spinner|tongs",
        ),
        Match(r"salad|lettuce|greens|romaine|arugula|spinach", f"{FOOD}"),
    ),
    J(
        "trash bags",
        "category",
        Match(r"bags?\b|liners?", "trash bags liners"),
        Match(r".", "trash bags liners|food storage"),
    ),
    J(
        "vitamins",
        "category",
        Match(r".", "vitamins supplements", r"protein powder"),
        Match(r"vitamin|supplement|multi|omega|probiotic|gumm", f"(?!{PET}).*"),
    ),
    J(
        "white wine",
        "category",
        Match(r".", "white wines"),
        Match(r".", "red wines|specialty wines champagnes"),
    ),
    J(
        "avocadoes",
        "typo",
        Match(r"\bavocados?\b", PRODUCE),
        Match(r"\bguacamole\b|\bavocados?\b", "fresh dips tapenades|frozen produce"),
    ),
    J(
        "bred",
        "typo",
        Match(r"\bbread\b", "bread|breakfast bakery", r"crumb|mix"),
        Match(
            r"\bbread|loaf|baguette|sourdough|rolls?\b|buns?\b",
            "bread|breakfast bakery|buns rolls|frozen breads doughs",
        ),
    ),
    J(
        "buter",
        "typo",
        Match(r"\bbutter\b", "butter", r"nut butter|peanut|almond"),
        Match(r"\bbutter\b", "butter|spreads"),
    ),
    J(
        "cauliflour",
        "typo",
        Match(r"cauliflower\b", PRODUCE),
        Match(r"cauliflower\b", f"{FROZEN}|{CANNED}"),
    ),
    J(
        "chedder",
        "typo",
        Match(r"cheddar", CHEESE),
        Match(r"cheddar", f"{FOOD}"),
    ),
    J(
        "choclate",
        "typo",
        Match(r"chocolate|cacao|cocoa", "candy chocolate|baking ingredients", r"chips? cookie"),
        Match(r"chocolate|cacao", f"{FOOD}", r"milk\b(?! chocolate)|protein|shake"),
    ),
    J(
        "coffie",
        "typo",
        Match(r"coffee|espresso|cold brew|\broast\b", "coffee", r"creamer|filter"),
        Match(
            r"coffee|espresso|cold brew",
            f"(?!{PERSONAL}|ice cream ice).*",
            r"creamer|filter|ice cream|cake",
        ),
    ),
    J(
        "lemmons",
        "typo",
        Match(r"lemons?\b(?! ?juice| ?grass)", PRODUCE),
        Match(r"lemons?\b(?! ?juice| ?grass)", f"{FROZEN}|{DRIED}|{CANNED}"),
    ),
    J(
        "letuce",
        "typo",
        Match(r"lettuce|romaine|iceberg", PRODUCE),
        Match(r"lettuce|romaine|salad", f"{FOOD}"),
    ),
    J(
        "mozzerella",
        "typo",
        Match(r"mozzarella", CHEESE, r"sticks? snack"),
        Match(r"mozzarella", f"{FOOD}"),
    ),
    J(
        "pastta",
        "typo",
        Match(r".", "dry pasta|fresh pasta", r"sauce"),
        Match(
            r"pasta|spaghetti|penne|macaroni|noodle|linguine|fettuccine|rigatoni|lasagna|ravioli|tortellini|gnocchi",
            f"{FOOD}",
            r"sauce",
        ),
    ),
    J(
        "pinapple",
        "typo",
        Match(r"pineapples?\b(?! ?juice)", PRODUCE),
        Match(r"pineapple", f"{FROZEN}|{DRIED}|{CANNED}|juice nectars"),
    ),
    J(
        "rasberries",
        "typo",
        Match(r"raspberr(?:y|ies)", PRODUCE),
        Match(r"raspberr(?:y|ies)", f"{FROZEN}|{DRIED}"),
    ),
    J(
        "sereal",
        "typo",
        Match(r".", "cereal", r"bars?\b"),
        Match(r".", "granola|hot cereal pancake mixes|breakfast bars pastries"),
    ),
    J(
        "shampo",
        "typo",
        Match(r"shampoo", "hair care", r"dry shampoo|conditioner(?!.*shampoo)"),
        Match(r"shampoo|conditioner|2 in 1", "hair care|baby bath body care"),
    ),
    J(
        "toothpast",
        "typo",
        Match(r"toothpaste|tooth paste", "oral hygiene"),
        Match(r".", "oral hygiene"),
    ),
    J(
        "yougurt",
        "typo",
        Match(r"\byogh?urts?\b", "yogurt", r"pretzel|raisin|covered|bar\b"),
        Match(r"\byogh?urt|kefir|skyr\b", "yogurt|baby food formula"),
    ),
]
