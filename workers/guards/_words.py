"""Common English words, for telling ordinary capitalised words from brand and model names.

Hand-curated for e-commerce copy: function words, everyday verbs, adjectives and nouns,
product, material, colour and feature vocabulary, days and months. Deliberately left out:
nationalities and place names ("Italian leather" is an origin claim that needs support), and
technical names ("Bluetooth", "USB"), which are facts. Inflected forms are handled by
``workers.guards.english.is_common_word``; adverbs in -ly are listed, not derived, because
coined brand names love that suffix ("Brightly", "Kitchenly").
"""

from __future__ import annotations

_WORDS = """
a about above absorb absorbent accent accented access accessory accessories accurate ace
achieve across act action active activity actual actually adapt adaptable add added adds
adjust adjustable admire adore adult adults advance advanced adventure adventures advice
affordable afraid after afternoon again against age ages ago agree ahead aid aim air airy
alike alive all allow almost alone along already also alternative although always amazing
among amount an and angle animal another answer any anybody anyone anything anytime anyway
anywhere apart appeal appealing appear appetite apply appointment approach area arm arms
armrest aroma around arrange arrival arrive art artful article artisan as aside ask aspect
assemble assembly assist at athlete athletic atmosphere attach attention attitude attractive
authentic autumn available avoid awake award away awesome
baby back backed background backpack backyard bad bag bake baked baker baking balance
balanced ball band bank bar bare barely base basic basically basics basket bath bathroom
battery be beach bean bear beat beautiful beautifully beauty because become bed bedroom
bedside been before begin beginner behind being believe bell belong below belt bench bend
beneath benefit benefits beside besides better between beverage beyond big bike bind bird
birthday bit bite black blade blanket blast blend blender bless blink block bloom blossom
blouse blow blue board boat body boil bold boldly bonus book boost boot boots border bored
boring born both bottle bottom bounce bound bow bowl box boy brain brand break breakfast
breath breathable breathe breeze brew brewing bridge brief briefly bright brighten brilliant
bring broad brown brush bubble bucket budget build builder built bulk bump bundle burn
burst bus business busy but button buy buyer buzz by
cabinet cable cafe cake calm calming camera camp camping can candle canvas cap capable
capacity capture car card care careful carefully carry carrying case cash casual casually
cat catch cause celebrate celebration center centre ceramic certain chain chair challenge
champion chance change channel charcoal charge charger charging charm charming chat cheap
check cheer cheerful cheese chef cherry chest chic chicken child children chill chilly
chip chocolate choice choose chop chunky circle city class classic classroom clean cleaner
cleaning cleanly clear clearly clever click climb clip clock close closet cloth clothes
clothing cloud cloudy club clutter coat cocoa coffee cold collar collect collection color
colorful colors colour colourful colours comb combine come comfort comfortable comfortably
comforting comfy command commute commuter compact companion compare compatible complete
completely compliment concept condition confidence confident connect connected connection
consider consistent contact contain container contemporary content continue contour control
convenience convenient conveniently cook cooker cookie cooking cool copper coral cord core
corner correct cost cotton couch could count counter couple course cover coverage cozy
crafted craft crafting craftsmanship crave cream create creative creativity crew crisp
crisply cross crowd crunch crunchy cuddle cuisine culture cup cupboard curious curl
current curve curved cushion cushioned custom customer cut cute cycle
daily damp dance dark darling dash date daughter day daylight days deal dear decide
decor decorate decoration deep deeper deeply define definitely degree delicate delicious
delight delightful deliver delivery deluxe demand dense depend depth describe design
designed designer desk detail detailed details develop device devices dial diamond did
differ difference different dig digital dine dinner dip direct direction dirt dirty discover
discovery dish dishes dishwasher display distance dive do dock does dog doing dollar done
door dot double down drape draw drawer dream dreamy dress dressy drink drinkware drip
drive drop dry dual due dust duty durable dye
each eager ear early earn earbud earbuds ears earth ease easier easily east easy eat
eco edge edition effect effective effectively effort effortless effortlessly egg either
elastic elegant elegance element elevate else embrace emerald enable end endless energy
engine enhance enjoy enjoyable enough ensure enter entire entry environment equal
equipment errand escape especially essential essentials even evening event ever every
everybody everyday everyone everything everywhere exact exactly example excellent except
exchange excite excited exciting exercise expect experience expert explore express extend
extra extreme eye eyes
fabric face facial fact fade fair fall family fan fancy far farm fashion fashionable fast
faster fasten favorite favourite feature features feed feel feeling feet fellow festive
few fiber fibre field fill film filter final finally find fine finish finished fire firm
first fish fit fits fitness fitted fitting fix flair flat flavor flavour flex flexible
flight float floor floral flow flower fluffy fly foam focus fold foldable folding follow
food foot for force forest forget fork form formal format forward fragrance fragrant frame
free freedom freely freeze fresh freshen freshly freshness friend friendly from front
frost fruit fruity full fully fun function functional funny fur furniture future fuzzy
gadget gain game garden gather gear general generous gentle gently get gift gifting girl
give glad glass glide glossy glove glow go goal goes gold golden good goodbye goodness
gorgeous grab grace graceful grain grand grateful gray great green greet grey grill grip
ground group grow guest guide gym
habit hair half hall hand handle handmade hands handy hang happen happy hard hardware
has hat have head headphones headset health healthy hear heart heat heavy height hello
help helpful her here hero hers hey hidden hide high highlight hike hiking hill him his
hit hold holder holiday home honey hook hope host hot hour hours house household how
however hug huge human humid hunt hurry hydrate hydrating hydration
i ice icon idea ideal ideas if ignite image imagine important in inch include included
includes indoor indoors indulge info information ingredient ingredients inner inside
insight inspire inspired inspiration instant instantly instead insulated interior into
intuitive invite iron is it item items its itself
jacket jam jar jean jeans jewel jewelry job jog join journey joy joyful juice juicy jump
just
keep kettle key keyboard keys kick kid kids kind kit kitchen knee knit knife know
label lace lamp land language lap laptop large last lasting late later laugh launch laundry
lavender lay layer layered lead leaf lean learn leather leave left leg legs leisure lemon
length less let level lid life lifestyle lift light lighter lightly lightweight like
likely limit line linen link lip liquid list listen little live lively living load local
lock long longer look looking loop loose lose lot loud lounge love lovely low lower luck
lucky lunch lush luxe luxurious luxury
machine made magnetic mail main maintain major make maker makes making man manage many
map mark market mat match material materials matte matter may maybe me meal mean measure
meat meet melt memory mesh message metal method middle midnight might mild mind mine
minimal minimalist minute minutes mirror miss mix mobile mode model modern moist moisture
moisturizer moment money monitor month mood moon more morning most mother motion mount
mouse mouth move movement movie much mug multi music must my
nail name natural naturally nature navy near nearly neat neatly neck need needs neither
nest net never new newly next nice night nine no nobody noise none noon nor normal north
not note nothing notice now nylon
oak object occasion ocean odd of off offer office often oil okay ok old olive on once one
ones online only onto open opening option options or orange order organic organize
organized organizer original other others our ours out outdoor outdoors outer outfit
outside over own owner
pace pack package packed pad page paint pair pal palette pan panel pants paper parent
park part party pass past pastel patch path pattern pause pay peace peaceful peach pearl
pen pencil people pepper per perfectly perform performance perhaps person personal pet
phone photo pick picked picks picnic piece pieces pillow pink pizza place plain plan
plant plastic plate play player playful please pleasure plenty plush pocket point polish
polished pop portable pose possible post pot pour powder power powered powerful practical
precise precisely prefer prep prepare present press pretty price priced pricing pride
print private problem process produce product products program project promise
proof protect protection protective proud provide pull pump pure purple purpose purse push
put
quality quick quickly quiet quietly quilt quite
rack radiant rain rainy raise range rare rate rather reach read ready real really reason
receive recent recipe recycled red reduce refill refined refresh refreshing regular relax
relaxed relaxing release reliable remain remember remote remove repair repeat replace
reply rest result retro return reusable reveal rich ride right ring rinse rise road robe
rock roll room root rose rough round routine row rub rug rule run runner running rush
rustic
safe safely safety sage sale salt same sand sandal save say scale scarf scene scent
scented school science scoop screen sea seal season seat second secure securely see seem
select selection self sell send sense serene serum serve service set setting settle setup
several shade shake shampoo shape share sharp shave she shelf shell shield shift shine
shiny ship shipping shirt shoe shoes shop shopping short shoulder show shower side sight
sign signature silent silhouette silk silky silver simple simply since single sip sit
size sizes skill skin skincare skirt sky sleek sleep sleeve slice slide slim slip slipper
slow small smart smell smile smooth smoothly snack snap snow so soak soap social sock
socks sofa soft softly softness soil solid some someone something sometimes son song soon
soothe soothing sort sound soup source space spacious spare spark sparkle speak speaker
special spec speed spend spice spicy spin spirit splash sport sports spot spray spread spring
square stable stack staff stage stain stainless stand standard star start starter stash
state station stay steady steam steel step stick still stir stitch stock stone stop
storage store storm story stove straight strap straw stream street stretch stretchy
strike string stripe striped strong structure student studio study style styled stylish
subtle such sugar suit suitable summer sun sunny super supply support sure surface surprise
sustainable sweat sweater sweep sweet swim swing switch system
table tablet tag tail take talk tall tank tap task taste tasty tea team tech technology
tee tell temperature tender tension term test texture than thank thanks that the their
theirs them theme then there these they thick thin thing things think this those though
thought thread through throw ticket tidy tie tight time timeless tiny tip tired to toast
today together tone too tool tools tooth toothbrush top total touch tough tour towel
toy track trail train training travel tray treat tree trend trendy trim trip true truly
trust try tub tune turn twist two type
under understand unique unit universal until up update upgrade upon upper us use
useful user usual usually
value variety various vase vegetable velvet version very vibe vibrant view vintage visit
visual vital voice volume
wait wake walk wall wallet want wardrobe warm warmth wash watch water waterproof wave wax
way we wear wearable weather week weekend weekly weight welcome well west wet what wheel
when where whether which while white who whole why wide width wild will win wind window
wine winter wipe wire wired wireless wish with within without wonder wonderful wood wooden
wool word work workout works workspace world worry worth would wow wrap wrist write
yard yarn year years yellow yes yet yoga you young your yours yourself youth
zero zip zipper zone
monday tuesday wednesday thursday friday saturday sunday
january february march april june july august september october november december
christmas easter halloween thanksgiving valentine
beige bronze burgundy champagne cobalt crimson emerald fuchsia indigo ivory jade khaki
lilac magenta maroon mauve mint mustard ochre plum rust sapphire scarlet tan taupe teal
turquoise violet wine
acrylic aluminum aluminium bamboo cashmere denim fleece glass granite hemp latex linen
marble mesh microfiber polyester porcelain rubber satin silicone spandex suede titanium
stoneware ceramic walnut
apparel appliance appliances backpacks bags bedding blankets bottles bowls candles chairs
cookware cups dinnerware drinkware electronics footwear furniture gadgets headphone
jackets keyboards kitchenware lamps lighting moisturizers mugs pans plates pots sets
shirts shorts skincare sneakers speakers tees toothbrushes toys trackers wearables
accessories beverages snacks tops trousers yoga
cancelling canceling noise tracker fryer crew neck mechanical insulated hydrating trail
wired stainless running water resistance slate speckled
introducing meet discover explore shop grab upgrade elevate unleash enjoy experience
stay keep bring take try add treat pamper refresh recharge power carry pack travel
here say hello welcome
cleanser toner conditioner lotion balm mask sunscreen perfume cologne lipstick
charger cable adapter stand mount holder case cover sleeve strap band dock hub mouse
monitor tablet laptop camera lens tripod speaker earphone earphones microphone
blender mixer toaster kettle cooker fryer oven grill pan pot skillet wok knife spoon fork
plate bowl cup mug jar bottle flask tumbler thermos lunchbox container
sofa couch chair stool desk table shelf cabinet drawer bed mattress pillow blanket quilt
duvet sheet sheets curtain rug lamp mirror clock vase frame basket hamper hanger
shirt blouse sweater hoodie jacket coat vest dress skirt pants jeans shorts leggings
socks shoes sneakers boots sandals slippers hat cap scarf gloves belt bag tote backpack
wallet watch bracelet necklace earrings ring sunglasses umbrella
also almost already although among another anyway because before behind below beneath
beside between beyond during either enough except however inside instead nearly neither
outside perhaps quite rather since though through throughout toward towards under unless
until upon whatever whenever wherever whether while within without yet
sure thing nope yeah indeed plus via per versus
am are is was were been being had has did does done went gone came made took taken gave
given got gotten saw seen knew known thought felt found left kept brought bought sold told
said ran won wore worn fell held led lit meant paid read sent set shone shot shut slept
spent spun stood stuck swept swam taught threw thrown understood woke woken wrote written
began begun broke broken chose chosen drew drawn drank drunk drove driven ate eaten flew
flown forgot forgotten froze frozen grew grown hid hidden hung laid lay lain rode ridden
rang rung rose risen sang sung sank shook shaken shrank sat slid sprang stole stolen
strove swore sworn tore torn wove woven
one two three four five six seven eight nine ten eleven twelve twenty thirty hundred
dozen dozens half double triple single first second third last next final
cleanup tactile froth unwind thoughtfully thoughtful carefully easily quickly simply
gently softly quietly freshly neatly naturally beautifully comfortably effortlessly
perfectly really truly fully nearly daily weekly nightly only early likely lovely friendly
finally especially exactly instantly completely entirely totally highly deeply widely
warmly smoothly securely evenly firmly lightly loosely tightly slowly safely
happily proudly boldly openly clearly directly sharply briskly richly sweetly subtly
generously precisely seamlessly thoroughly wonderfully
brand new newest latest classic timeless iconic signature essential staple versatile
handcrafted handpicked curated stylish sturdy rugged robust solid heavy-duty durable
lightweight foldable washable adjustable rechargeable removable detachable portable
waterproof water-resistant splashproof stackable reversible breathable stretchy
cushioned padded lined insulated ventilated ergonomic contoured tailored relaxed slim
oversized cropped fitted loose roomy spacious airy plush velvety silky satiny crisp
crispy creamy fluffy chewy juicy tangy zesty savory savoury hearty wholesome nourishing
gourmet homemade fresh-baked artisanal rich bold mellow smooth aromatic fragrant
refreshing invigorating energizing revitalizing calming relaxing soothing cooling warming
brighten brightening smoothing firming plumping nourish nourishing moisturize
moisturizing cleanse cleansing exfoliate exfoliating tone toning protect protecting
repair repairing restore restoring renew renewing revive reviving recharge recharging
unbox unboxing unpack plug unplug tap swipe scroll stream streaming sync pair pairing
connect connecting charge charging power powering wireless cordless hands-free
built-in on-the-go all-day long-lasting everyday anytime anywhere
worry-free hassle-free stress-free mess-free fuss-free spill-proof leak-proof
tangle-free clutter-free
smartphone phone phones tablet tablets laptop laptops computer computers earbud
headphone speaker speakers watch watches tracker trackers camera cameras console
controller remote router cable cables cord cords charger chargers adapter adapters
keyboard keyboards mouse mice screen screens display displays
bottle bottles tumbler tumblers flask flasks mug mugs cup cups glass glasses jar jars
pan pans pot pots skillet skillets kettle kettles fryer fryers blender blenders toaster
mat mats towel towels rug rugs pillow pillows blanket blankets candle candles lamp lamps
tee tees shirt shirts hoodie hoodies sweater sweaters jacket jackets coat coats dress
dresses skirt skirts pants jeans shorts leggings sock socks shoe shoes sneaker sneakers
boot boots sandal sandals slipper slippers hat hats cap caps scarf scarves glove gloves
bag bags tote totes backpack backpacks wallet wallets belt belts
serum serums cream creams lotion lotions cleanser cleansers toner toners mask masks
shampoo shampoos conditioner conditioners soap soaps balm balms oil oils
moisturizer moisturizers sunscreen sunscreens toothbrush toothbrushes toothpaste
brush brushes comb combs razor razors
gift gifts gifting present presents occasion occasions birthday birthdays anniversary
holiday holidays season seasons weekend weekends vacation trip trips getaway
morning mornings afternoon afternoons evening evenings night nights today tonight
tomorrow yesterday week weeks month months year years moment moments
hey hi hello hooray yay oh ah wow whoa
sale deals deal offer offers discount discounts savings save saving bundle bundles
shop shopping cart checkout order orders ship ships shipping delivery returns return
stock limited available inventory
apple apples banana berry berries strawberry blueberry raspberry cherry grape mango
melon watermelon peach pear pineapple coconut lemon lime orange citrus vanilla caramel
almond walnut peanut oat oats rice wheat corn bread butter milk yogurt cheese honey jam
tea coffee cocoa sugar salt pepper garlic ginger mint herb herbs spice spices
honor dove gap coach tide shell target guess
rediscover reimagine transform revamp maximize optimize streamline simplify savor savour
snuggle conquer master customize customise personalize personalise snag score claim unlock
browse subscribe download install impress motivate energize revitalize rejuvenate guard
defend declutter scrub radiate illuminate roast fry whisk dice steep relish spoil sprint
surf ski skate entertain roam wander venture stow recline cradle hush silence mute amplify
improve refine complement coordinate accessorize modernize innovative sophisticated premium
dependable vivid adorable stunning seamless ingenious genius mighty resilient sweatproof
dustproof shockproof collapsible uplifting beloved bargain steal clearance engineered
outstanding exceptional remarkable incredible fantastic marvelous marvellous superb
splendid terrific fabulous
"""

COMMON_WORDS: frozenset[str] = frozenset(_WORDS.split())

# Stems that contractions leave behind once the apostrophe splits the word ("Don't" → "Don").
CONTRACTION_STEMS: frozenset[str] = frozenset(
    {
        "don",
        "won",
        "isn",
        "aren",
        "wasn",
        "weren",
        "doesn",
        "didn",
        "couldn",
        "shouldn",
        "wouldn",
        "haven",
        "hasn",
        "hadn",
        "mustn",
        "needn",
        "let",
        "ll",
        "ve",
        "re",
    }
)
