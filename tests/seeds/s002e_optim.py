# Seed 002, "optim" section: the Sequential two-layer network trained with Adam.
import tensorgraft as torch

N,D_in,H,D_out=64,1000,100,10

x=torch.randn(N,D_in) # 入力
y=torch.randn(N,D_out) # 出力

model=torch.nn.Sequential(
    torch.nn.Linear(D_in,H),
    torch.nn.ReLU(),
    torch.nn.Linear(H,D_out)
)

loss_fn=torch.nn.MSELoss(reduction="sum") # ロス関数

learning_rate=1e-4 # 学習率
optimizer=torch.optim.Adam(model.parameters(),lr=learning_rate) # 最適化関数

for t in range(500): # エポック
    y_pred=model(x) # モデルに入れて出力する

    loss=loss_fn(y_pred,y) # ロス

    if t%100==99: # 100エポックごとにロスを表示する
        print(t,loss.item())

    optimizer.zero_grad()

    loss.backward()

    optimizer.step()
