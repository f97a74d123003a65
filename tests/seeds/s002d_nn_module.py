# Seed 002, "nnモジュール" section.
import tensorgraft as torch

N,D_in,H,D_out=64,1000,100,10

x=torch.randn(N,D_in) # 入力
y=torch.randn(N,D_out) # 出力

model=torch.nn.Sequential(
    torch.nn.Linear(D_in,H), # 線形
    torch.nn.ReLU(), # ReLU
    torch.nn.Linear(H,D_out) # 線形
)

loss_fn=torch.nn.MSELoss(reduction="sum") # MSE

learning_rate=1e-4 # 学習率

for t in range(500): # エポック
    y_pred=model(x) # ネットワークの出力を取得する

    loss=loss_fn(y_pred,y) # ロス

    if t%100==99: # 100エポックごとに表示
        print(t,loss.item())

    loss.backward() # 逆伝搬

    with torch.no_grad(): # 勾配を蓄積しない
        for param in model.parameters(): # 各パラメータについて
            param-=learning_rate*param.grad # パラメータを更新する
