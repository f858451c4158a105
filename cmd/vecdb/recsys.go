package main

import (
	"encoding/json"
	"io"
	"slices"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/infer"
	"github.com/vecdb/vecdb/internal/vecio"
	"github.com/vecdb/vecdb/train"
	"github.com/vecdb/vecdb/train/recsys"
	"github.com/vecdb/vecdb/wire"
)

// recsysFlags are the trainer flags shared by train and eval recsys.
type recsysFlags struct {
	als     recsys.ALSOptions
	bpr     recsys.BPROptions
	i2v     recsys.Item2VecOptions
	factors int
	threads int
	seed    uint64
	skipBad bool
}

func (f *recsysFlags) register(fs *pflag.FlagSet, trainer string) {
	f.als, f.bpr = recsys.DefaultALSOptions(), recsys.DefaultBPROptions()
	fs.IntVar(&f.factors, "factors", 64, "latent factors (vector dimension)")
	fs.IntVar(&f.threads, "threads", 0, "training threads (0: every core for als and bpr, one for item2vec, which is then deterministic)")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed")
	fs.BoolVar(&f.skipBad, "skip-bad-lines", false, "skip and count malformed interaction lines instead of failing")
	if trainer == "als" || trainer == "" {
		fs.IntVar(&f.als.Iterations, "iterations", f.als.Iterations, "ALS: alternating sweeps")
		fs.Float64Var(&f.als.Lambda, "lambda", f.als.Lambda, "ALS: L2 regularisation (fold-in must use the training value)")
		fs.Float64Var(&f.als.Alpha, "alpha", f.als.Alpha, "ALS: confidence = 1 + alpha x weight (fold-in must use the training value)")
	}
	if trainer == "bpr" || trainer == "item2vec" || trainer == "" {
		fs.IntVar(&f.bpr.Epochs, "epochs", 0, "BPR, item2vec: passes over the data (0: the trainer's default)")
		fs.Float64Var(&f.bpr.LearningRate, "lr", 0, "BPR, item2vec: learning rate (0: the trainer's default)")
	}
	if trainer == "item2vec" || trainer == "" {
		fs.IntVar(&f.i2v.Window, "window", 0, "item2vec: context reach in a user's items (0: default 100)")
	}
}

// options finishes the trainers' options from the shared flags.
func (f *recsysFlags) options() {
	f.als.Factors, f.als.Threads, f.als.Seed = f.factors, f.threads, f.seed
	f.bpr.Factors, f.bpr.Threads, f.bpr.Seed = f.factors, f.threads, f.seed
	f.i2v.Dim, f.i2v.Threads, f.i2v.Seed = f.factors, f.threads, f.seed
	f.i2v.Epochs, f.i2v.Alpha = f.bpr.Epochs, f.bpr.LearningRate
	if f.bpr.Epochs == 0 {
		f.bpr.Epochs = recsys.DefaultBPROptions().Epochs
	}
	if f.bpr.LearningRate == 0 {
		f.bpr.LearningRate = recsys.DefaultBPROptions().LearningRate
	}
}

func readInteractions(path string, skipBad bool) (*recsys.Interactions, error) {
	if path == "" {
		return nil, errors.New("--interactions is required")
	}
	return readFile(path, func(r io.Reader) (*recsys.Interactions, error) {
		return recsys.ReadInteractions(r, recsys.ReadOptions{SkipBadLines: skipBad})
	})
}

func (c *cli) recsysTrainCommands() []*cobra.Command {
	var cmds []*cobra.Command
	for _, name := range []string{"als", "bpr", "item2vec"} {
		var rf recsysFlags
		var path, items, users, itemMeta string
		var fields []string
		cmd := &cobra.Command{
			Use: name + " --interactions FILE --items COLL [--users COLL] [--factors 64] [--item-meta FILE.jsonl] [--field NAME:TYPE ...] [--skip-bad-lines]",
			Short: map[string]string{
				"als":      "Train implicit-feedback ALS user and item vectors",
				"bpr":      "Train BPR (pairwise ranking) user and item vectors",
				"item2vec": "Train item2vec item vectors (skip-gram over each user's items in time order)",
			}[name],
			Long: `Read "user item [weight [timestamp]]" lines (whitespace- or comma-separated;
MovieLens u.data works as it is; duplicate pairs summed), train, and write an
items collection and a users collection (metric dot: a user's search of the
items ranks them by the model's score). Each user record lists the user's items
in the keywords field "seen", which "vecdb recommend" leaves out. --item-meta
gives the items filterable fields: {"id":"<item>","meta":{...}} per line, their
types from --field NAME:TYPE or else guessed (string: keyword, list: keywords,
integer: int, number: float, true/false: bool). item2vec's users are the
normalised means of their items' vectors. Collections are replaced atomically.`,
			Args: args(0, 0, "no arguments"),
			RunE: func(cmd *cobra.Command, _ []string) error {
				in, err := readInteractions(path, rf.skipBad)
				if err != nil {
					return errors.Wrap(err, "train "+name)
				}
				if items == "" || (users == "" && name != "item2vec") {
					return errors.Newf("train %s: --items%s required", name, map[bool]string{true: " and --users are", false: " is"}[name != "item2vec"])
				}
				out := train.RecOutput{Items: items, Users: users}
				if itemMeta != "" {
					if out.ItemFields, out.ItemMeta, err = readItemMeta(itemMeta, fields); err != nil {
						return err
					}
				}
				rf.options()
				status := c.statusLine()
				rf.als.Progress = func(it int, obj float64) {
					status("als: iteration %d/%d  objective %.6g", it, rf.als.Iterations, obj)
				}
				rf.bpr.Progress = func(ep int, loss float64) {
					status("bpr: epoch %d/%d  loss %.5f", ep, rf.bpr.Epochs, loss)
				}
				rf.i2v.Progress = func(ep int, loss float64) {
					status("item2vec: epoch %d  loss %.5f", ep, loss)
				}
				defer status("")
				var st train.RecStats
				err = c.withDB(false, true, func(d *db.DB) error {
					out.DB = d
					switch name {
					case "als":
						st, err = train.ALS(cmd.Context(), in, rf.als, out)
					case "bpr":
						st, err = train.BPR(cmd.Context(), in, rf.bpr, out)
					default:
						st, err = train.Item2Vec(cmd.Context(), in, rf.i2v, out)
					}
					return err
				})
				if err != nil {
					return err
				}
				res := recTrainJSON{Trainer: name, Items: items, Users: users, NumUsers: st.Users, NumItems: st.Items,
					Interactions: st.Interactions, BadLines: in.BadLines, Dim: st.Dim, TrainSeconds: st.TrainTime.Seconds(), WriteSeconds: st.WriteTime.Seconds()}
				if c.json {
					return c.printJSON(res)
				}
				return c.printText(func(w io.Writer) {
					fprintf(w, "trained %s on %d interactions (%d users, %d items", name, res.Interactions, res.NumUsers, res.NumItems)
					if res.BadLines > 0 {
						fprintf(w, ", %d bad lines skipped", res.BadLines)
					}
					fprintf(w, "): %d dims in %s; wrote %q", res.Dim, seconds(res.TrainSeconds), items)
					if users != "" {
						fprintf(w, " and %q", users)
					}
					fprintf(w, "\n")
				})
			},
		}
		f := cmd.Flags()
		rf.register(f, name)
		f.StringVar(&path, "interactions", "", "interactions file")
		f.StringVar(&items, "items", "", "items collection to write")
		f.StringVar(&users, "users", "", "users collection to write (required for als and bpr)")
		f.StringVar(&itemMeta, "item-meta", "", `item metadata, {"id":..,"meta":{..}} per line`)
		f.StringArrayVar(&fields, "field", nil, "item metadata field NAME:TYPE (repeatable; default: guessed)")
		cmds = append(cmds, cmd)
	}
	return cmds
}

// recTrainJSON is the JSON document a recommendation trainer prints.
type recTrainJSON struct {
	Trainer      string  `json:"trainer"`
	Items        string  `json:"items"`
	Users        string  `json:"users,omitempty"`
	NumUsers     int     `json:"num_users"`
	NumItems     int     `json:"num_items"`
	Interactions int     `json:"interactions"`
	BadLines     int     `json:"bad_lines"`
	Dim          int     `json:"dim"`
	TrainSeconds float64 `json:"train_seconds"`
	WriteSeconds float64 `json:"write_seconds"`
}

// readItemMeta reads {"id":..,"meta":{..}} lines; the fields are those
// declared, or guessed from the values.
func readItemMeta(path string, declared []string) ([]db.Field, map[string]db.Meta, error) {
	f, err := vecio.Open(path)
	if err != nil {
		return nil, nil, errors.Wrap(err, "--item-meta")
	}
	defer f.Close()
	r := vecio.NewMetaReader(f)
	metas := make(map[string]db.Meta)
	types := make(map[string]db.FieldType)
	for _, d := range declared {
		field, err := db.ParseField(d)
		if err != nil {
			return nil, nil, errors.Wrap(err, "--field")
		}
		types[field.Name] = field.Type
	}
	guessed := make(map[string]db.FieldType)
	for {
		obj, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, errors.Wrapf(err, "--item-meta %s", path)
		}
		id, ok := obj["id"].(string)
		if !ok {
			return nil, nil, errors.Newf("--item-meta %s: line %d: want a string \"id\"", path, r.Line())
		}
		m, ok := obj["meta"].(map[string]any)
		if !ok {
			return nil, nil, errors.Newf("--item-meta %s: line %d: want a \"meta\" object", path, r.Line())
		}
		for k, v := range m {
			if _, ok := types[k]; ok || len(declared) > 0 {
				continue
			}
			guessed[k] = guessType(guessed[k], v)
		}
		metas[id] = m
	}
	if len(declared) == 0 {
		types = guessed
	}
	var fields []db.Field
	for name, t := range types {
		fields = append(fields, db.Field{Name: name, Type: t})
	}
	slices.SortFunc(fields, func(a, b db.Field) int { return strings.Compare(a.Name, b.Name) })
	if len(declared) > 0 {
		// Only the declared fields are kept.
		for id, m := range metas {
			kept := db.Meta{}
			for k, v := range m {
				if _, ok := types[k]; ok {
					kept[k] = v
				}
			}
			metas[id] = kept
		}
	}
	return fields, metas, nil
}

// guessType widens prev (0: none yet) to hold v.
func guessType(prev db.FieldType, v any) db.FieldType {
	var t db.FieldType
	switch x := v.(type) {
	case string:
		t = db.Keyword
	case []any:
		t = db.Keywords
	case bool:
		t = db.Bool
	case json.Number:
		t = db.Int
		if _, err := x.Int64(); err != nil {
			t = db.Float
		}
	default:
		return prev
	}
	switch {
	case prev == 0 || prev == t:
		return t
	case prev == db.Int && t == db.Float, prev == db.Float && t == db.Int:
		return db.Float
	case prev == db.Keyword && t == db.Keywords, prev == db.Keywords && t == db.Keyword:
		return db.Keywords
	}
	return prev
}

func (c *cli) recommendCommand() *cobra.Command {
	var r wire.RecommendRequest
	cmd := &cobra.Command{
		Use:   "recommend --users COLL --items COLL --user ID [-k 10] [--filter EXPR] [--include-seen] [--json]",
		Short: "Recommend items to a user (dot-product kNN over the items, seen items left out)",
		Long: `Search the items collection with the user's vector, best score first
(distance = minus the dot product), leaving out the user's seen items unless
--include-seen, and keeping only items that pass --filter, e.g.
--filter 'genres IN ("Comedy")'. The table shows each item's metadata (e.g. a
film's title) as compact JSON; JSON: {"results":[[{"id":..,"distance":..}, ...]]},
with "meta":{..} per item when --with-meta. Similar items: vecdb search ITEMS
--id ITEM.`,
		Args: args(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if r.Users == "" || r.Items == "" || r.User == "" {
				return errors.New("recommend: --users, --items and --user are required")
			}
			// The table always shows the items' metadata (a film's
			// title); JSON only with --with-meta.
			withMeta := r.WithMeta
			r.WithMeta = withMeta || !c.json
			var res wire.SearchResponse
			if err := c.withBackend(readMode, func(b backend) (err error) {
				res, err = b.Recommend(cmd.Context(), &r)
				return err
			}); err != nil {
				return err
			}
			return c.printHits(firstList(&res), "user "+r.User, !c.json)
		},
	}
	f := cmd.Flags()
	f.StringVar(&r.Users, "users", "", "users collection")
	f.StringVar(&r.Items, "items", "", "items collection")
	f.StringVar(&r.User, "user", "", "user ID")
	f.IntVarP(&r.K, "k", "k", 10, "number of items")
	f.StringVar(&r.Filter, "filter", "", "filter on the items' fields")
	f.BoolVar(&r.IncludeSeen, "include-seen", false, "keep the items the user has seen")
	f.BoolVar(&r.WithMeta, "with-meta", false, "JSON: add each item's metadata (\"meta\":{..}); the table always shows it")
	return cmd
}

func (c *cli) foldinCommand() *cobra.Command {
	var users, items, user, path string
	var rf recsysFlags
	cmd := &cobra.Command{
		Use:   "foldin --users COLL --items COLL --user ID --interactions FILE",
		Short: "Give a new or changed user a vector from their interactions, without retraining",
		Long: `Read the user's lines of FILE ("user item [weight [timestamp]]"; those lines are
all of the user's interactions), solve the ALS least squares for the user's
vector against the fixed item vectors, and write it to the users collection at
once (seen items included). Use the --lambda and --alpha of the training run.`,
		Args: args(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if users == "" || items == "" || user == "" {
				return errors.New("foldin: --users, --items and --user are required")
			}
			in, err := readInteractions(path, rf.skipBad)
			if err != nil {
				return errors.Wrap(err, "foldin")
			}
			u, ok := in.UserIndex[user]
			if !ok {
				return errors.Newf("foldin: %s has no lines for user %q", path, user)
			}
			row, weights := in.UserRow(int(u))
			inter := make(map[string]float32, len(row))
			for i, it := range row {
				inter[in.Items[it]] = weights[i]
			}
			rf.options()
			if err := c.withDB(false, false, func(d *db.DB) error {
				_, err := infer.FoldIn(cmd.Context(), d, users, items, user, inter, rf.als)
				return err
			}); err != nil {
				return err
			}
			if c.json {
				return c.printJSON(map[string]any{"user": user, "items": len(inter), "users": users})
			}
			return c.printText(func(w io.Writer) {
				fprintf(w, "folded in user %q from %d items; wrote %q\n", user, len(inter), users)
			})
		},
	}
	f := cmd.Flags()
	rf.register(f, "als")
	f.StringVar(&users, "users", "", "users collection")
	f.StringVar(&items, "items", "", "items collection")
	f.StringVar(&user, "user", "", "user ID")
	f.StringVar(&path, "interactions", "", "interactions file holding the user's lines")
	return cmd
}
